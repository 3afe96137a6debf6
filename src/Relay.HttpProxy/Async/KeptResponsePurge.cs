using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;

namespace Relay.HttpProxy.Async;

/// <summary>
/// Forgets requests whose responses have expired, deleting their files first and giving their bytes
/// back to the storage budget. A request whose file cannot be deleted now (a failing disk, a file
/// held open) stays recorded, so the next purge, also after a restart, tries it again; it does not
/// stop the files after it.
/// </summary>
internal sealed class KeptResponsePurge(AsyncRequestStore store, AsyncStorageBudget budget, TimeSpan lifetime, ILogger logger)
{
    /// <summary>Purges what was completed before <paramref name="now"/> less the lifetime; returns how many were forgotten and how many are left for the next purge.</summary>
    public async Task<(int Forgotten, int Left)> PurgeAsync(DateTimeOffset now)
    {
        try
        {
            var expired = await store.ExpiredAsync(now - lifetime).ConfigureAwait(false);
            var deleted = new List<Guid>(expired.Count);
            foreach (var id in expired)
            {
                if (store.Bodies.TryDelete(id, out var failure) is not { } freed)
                {
                    HttpProxyLog.PurgeFailed(logger, failure!);
                    continue;
                }

                budget.Give(freed);
                deleted.Add(id);
            }

            await store.ForgetAsync(deleted).ConfigureAwait(false);
            if (expired.Count > 0)
            {
                HttpProxyLog.KeptResponsesPurged(logger, deleted.Count, expired.Count - deleted.Count);
            }

            return (deleted.Count, expired.Count - deleted.Count);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The node is stopping, or the record cannot be read now: the next purge starts over.
            HttpProxyLog.PurgeFailed(logger, exception);
            return (0, 0);
        }
    }
}
