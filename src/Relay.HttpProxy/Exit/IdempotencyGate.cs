using System.Collections.Concurrent;
using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Requests that carry the caller's <c>Idempotency-Key</c>: one at a time per key and caller, in
/// channel order; a repeat of a kept exchange is answered from the store when its method, target and
/// body match the first (422 problem when they do not), and told plainly when the response was not kept.
/// </summary>
internal sealed class IdempotencyGate
{
    private readonly ConcurrentDictionary<(string Peer, string Scope, string Key), Task> _inFlight = new();
    private readonly ExchangeStore _store;
    private readonly ILogger _logger;
    private readonly HttpProxyMetrics _metrics;

    public IdempotencyGate(ExchangeStore store, ILogger logger, HttpProxyMetrics metrics)
    {
        _store = store;
        _logger = logger;
        _metrics = metrics;
    }

    private IFileSystem FileSystem => _store.FileSystem;

    /// <summary>Takes the request's place in line; called on the link's loop, so places follow channel order.</summary>
    public IdempotencyTurn Enter(string peer, RequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        var callerKey = head.Headers.FirstValue("Idempotency-Key");
        if (callerKey is null)
        {
            return IdempotencyTurn.Unkeyed;
        }

        var scope = IdempotencyScope.Of(head);
        var key = (peer, scope, callerKey);
        _inFlight.TryGetValue(key, out var previous);
        var turn = IdempotencyTurn.After(callerKey, scope, previous);
        _inFlight[key] = turn.Done!;
        return turn;
    }

    /// <summary>Ends the request's turn, letting the next with its key run.</summary>
    public void Leave(string peer, IdempotencyTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        turn.Finish();
        if (turn.CallerKey is { } callerKey && turn.Done is { } done)
        {
            _inFlight.TryRemove(new KeyValuePair<(string, string, string), Task>((peer, turn.Scope!, callerKey), done));
        }
    }

    /// <summary>
    /// Answers a repeat of a kept exchange; null when there is none (the request goes to the callee),
    /// otherwise how the answer went.
    /// </summary>
    public async Task<CalleeCallResult?> TryAnswerAsync(PeerLink link, ExitExchange exchange, IdempotencyTurn turn)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(turn);
        if (turn.CallerKey is not { } callerKey || await _store.FindResponseAsync(link.Peer, turn.Scope!, callerKey).ConfigureAwait(false) is not { } kept)
        {
            return null;
        }

        var head = exchange.Head;
        if (!string.Equals(kept.Method, head.Method, StringComparison.OrdinalIgnoreCase) || kept.Target != head.Target)
        {
            await ExitFrames.SendProblemAsync(link, exchange.StreamId, RelayProblem.IdempotencyKeyReused(callerKey, "method or target")).ConfigureAwait(false);
            return CalleeCallResult.Served;
        }

        // The repeat's body is read whole before anything is answered: the same key with another body is another request.
        var bodyHash = BodyHashingStream.EmptyBodyHash;
        if (head.HasBody)
        {
            using var hashed = new BodyHashingStream(exchange.RequestBody);
            if (await hashed.ReadToEndAsync(exchange.Aborted).ConfigureAwait(false) is not { } hash)
            {
                // The caller's body broke off: nobody waits for an answer.
                return new CalleeCallResult(ExitOutcome.CallerGone);
            }

            bodyHash = hash;
        }

        if (kept.RequestBodyHash is { } first && !first.AsSpan().SequenceEqual(bodyHash))
        {
            await ExitFrames.SendProblemAsync(link, exchange.StreamId, RelayProblem.IdempotencyKeyReused(callerKey, "body")).ConfigureAwait(false);
            return CalleeCallResult.Served;
        }

        var file = kept.BodyStored && kept.Head is not null ? OpenKept(link.Peer, kept.StreamId) : null;
        if (file is null)
        {
            await ExitFrames.SendProblemAsync(link, exchange.StreamId, RelayProblem.ResponseNotStored(callerKey)).ConfigureAwait(false);
            return CalleeCallResult.Served;
        }

        await using (file.ConfigureAwait(false))
        {
            var replayed = kept.Head! with { Headers = kept.Head.Headers.With("Relay-Replayed", "true") };
            HttpProxyLog.AnsweredFromStore(_logger, exchange.StreamId, callerKey);
            _metrics.ReplayedFromStore(link.Peer);
            return await ResponseStreamer.ReplayAsync(link, exchange, replayed, file).ConfigureAwait(false);
        }
    }

    // Null when the body file is gone (purged while this repeat waited, or lost with the disk).
    private FileSystemStream? OpenKept(string peer, Guid streamId)
    {
        try
        {
            return FileSystem.FileStream.New(
                _store.BodyPath(peer, streamId), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, BufferSize = 1, Options = FileOptions.Asynchronous });
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
