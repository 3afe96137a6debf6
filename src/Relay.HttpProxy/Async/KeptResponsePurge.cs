using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;

namespace Relay.HttpProxy.Async;

/// <summary>
/// Forgets requests whose responses have expired and deletes their files, giving their bytes back
/// to the storage budget. A file that cannot be deleted now (a failing disk, a file held open) is
/// tried again at each later purge, so neither it nor the files after it are lost track of.
/// </summary>
internal sealed class KeptResponsePurge(AsyncRequestStore store, AsyncStorageBudget budget, TimeSpan lifetime, ILogger logger)
{
    private readonly ConcurrentDictionary<Guid, byte> _undeleted = new();

    /// <summary>Files of forgotten requests that are still to be deleted.</summary>
    public int Undeleted => _undeleted.Count;

    /// <summary>Purges what expired before <paramref name="now"/> less the lifetime; returns the files deleted.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset now)
    {
        try
        {
            foreach (var id in await store.PurgeAsync(now - lifetime).ConfigureAwait(false))
            {
                _undeleted.TryAdd(id, 0);
            }
        }
        catch (Exception exception) when (exception is ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
            HttpProxyLog.PurgeFailed(logger, exception);
        }

        var deleted = 0;
        foreach (var id in _undeleted.Keys)
        {
            if (store.Bodies.TryDelete(id, out var failure) is not { } freed)
            {
                HttpProxyLog.PurgeFailed(logger, failure!);
                continue;
            }

            _undeleted.TryRemove(id, out _);
            budget.Give(freed);
            deleted++;
        }

        return deleted;
    }
}
