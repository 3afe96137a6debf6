using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Settles, after a restart, the requests that were with a callee when the node stopped: one whose
/// method is idempotent and whose whole body was in its head is called again; for any other the
/// callee may or may not have acted, so the caller gets 502 with <c>Relay-Outcome: unknown</c>.
/// </summary>
internal sealed class ExchangeRecovery
{
    private readonly ExchangeStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpProxyMetrics _metrics;

    public ExchangeRecovery(ExchangeStore store, TimeProvider time, ILogger logger, HttpProxyMetrics metrics)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <param name="links">The node's peers.</param>
    /// <param name="repeat">Calls the callee again for a registered exchange (with the caller's key, when it sent one).</param>
    public async Task RecoverAsync(IReadOnlyDictionary<string, PeerLink> links, Action<PeerLink, ExitExchange, string?> repeat)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(repeat);
        foreach (var stored in await _store.ReadUnfinishedAsync().ConfigureAwait(false))
        {
            if (!links.TryGetValue(stored.Peer, out var link))
            {
                await ForgetAsync(stored).ConfigureAwait(false);
                continue;
            }

            if (stored.RetryHead is { } retryHead && FramePayloads.TryDecode<RequestHead>(retryHead, out var head))
            {
                var exchange = new ExitExchange(stored.StreamId, link, head);
                if (!link.TryRegister(exchange))
                {
                    exchange.Dispose();
                    continue;
                }

                exchange.OnRequestData(BodyChunk.Whole(stored.RetryBody ?? []));
                exchange.HeadIsHandled();
                HttpProxyLog.RetryingAfterRestart(_logger, stored.StreamId, stored.Method, stored.Target);
                repeat(link, exchange, stored.CallerKey);
                continue;
            }

            _metrics.OutcomeUnknown(stored.Peer);
            if (!link.CanSend)
            {
                // Nobody can be told; and a copy of it arriving again must not be called a second time.
                HttpProxyLog.OneWayFailed(_logger, stored.StreamId, stored.Method, stored.Target, link.Peer, "with the callee when the node stopped");
                link.OneWay.CountFailed();
                _metrics.OneWay(link.Peer, "exit", "failed");
                await _store.CompleteAsync(stored.Peer, stored.StreamId, null, null, null, false, _time.GetUtcNow(), remember: true).ConfigureAwait(false);
                continue;
            }

            HttpProxyLog.OutcomeUnknown(_logger, stored.StreamId, stored.Method, stored.Target);
            await ExitFrames.SendAsync(link, stored.StreamId, ExitAnswers.OutcomeUnknown(stored.Method)).ConfigureAwait(false);

            // Not kept under the caller's key: a repeat goes to the callee again, with the same key, for it to judge.
            await ForgetAsync(stored).ConfigureAwait(false);
        }
    }

    private Task ForgetAsync(StoredExchange stored) => _store.CompleteAsync(stored.Peer, stored.StreamId, null, null, null, false, _time.GetUtcNow());
}
