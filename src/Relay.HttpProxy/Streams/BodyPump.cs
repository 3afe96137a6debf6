using System.IO.Pipelines;
using Relay.HttpProxy.Protocol;
using Relay.Layer1;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// Sends one body direction from a local reader to the far side in bounded chunks. Each chunk waits
/// for room in the stream's credit window (so the far side never buffers more than it granted) and in
/// the peer's body budget (so bodies never fill layer 1's window and small messages always find room).
/// On a link that carries nothing back there is no credit: a chunk waits only for the budget and for
/// layer 1's own window, and its budget comes back once it is durable instead of once acknowledged.
/// </summary>
internal static class BodyPump
{
    /// <summary>Sends the rest of the body and its end; returns the body's total decoded length.</summary>
    /// <param name="link">The peer the stream runs to.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="fromInitiator">True on the caller's side (request bodies), false on the callee's side.</param>
    /// <param name="source">The body still to send.</param>
    /// <param name="encoder">The direction's encoder (it may already have encoded an inline first chunk).</param>
    /// <param name="window">Credit the far side granted for this direction; null on a link that carries no credit back.</param>
    /// <param name="alreadySent">Decoded bytes already sent inline in the head.</param>
    /// <param name="maxBytes">The body's size limit, or null for none.</param>
    /// <param name="tee">Receives a copy of every decoded byte (to store a response), or null.</param>
    /// <param name="cancellationToken">Stops the pump; the caller then resets the stream.</param>
    public static async Task<long> SendAsync(
        PeerLink link,
        Guid streamId,
        bool fromInitiator,
        PipeReader source,
        BodyEncoder encoder,
        CreditWindow? window,
        long alreadySent,
        long? maxBytes,
        IBodyTee? tee,
        CancellationToken cancellationToken)
    {
        var chunkBytes = link.Options.ChunkBytes;
        using var frame = new OutgoingFrame(BodyBlock.MaxEncodedLength(chunkBytes) + Frame.HeaderLength + Frame.TotalLength);
        var total = alreadySent;

        // Chunks are queued in order without waiting for each to be committed; commits are awaited a few behind.
        var commits = new Queue<Task>();
        while (true)
        {
            var result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                while (!buffer.IsEmpty || result.IsCompleted)
                {
                    var take = buffer.Slice(0, Math.Min(buffer.Length, chunkBytes));
                    total += take.Length;
                    if (total > maxBytes)
                    {
                        throw new StreamResetException(ResetReason.BodyTooLarge, $"The body exceeds {maxBytes} bytes.");
                    }

                    tee?.Append(take);
                    var last = result.IsCompleted && take.Length == buffer.Length;
                    frame.BeginData(fromInitiator, streamId);
                    frame.AppendBody(take, encoder);
                    if (last)
                    {
                        frame.EndBody(total);
                    }

                    await QueueChunkAsync(link, frame, window, commits, cancellationToken).ConfigureAwait(false);
                    buffer = buffer.Slice(take.Length);
                    if (last)
                    {
                        await Task.WhenAll(commits).ConfigureAwait(false);
                        return total;
                    }
                }
            }
            finally
            {
                source.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private const int CommitsInFlight = 16;

    /// <summary>Queues one chunk, within the stream's credit and the peer's budget, keeping at most a few commits outstanding.</summary>
    private static async Task QueueChunkAsync(PeerLink link, OutgoingFrame frame, CreditWindow? window, Queue<Task> commits, CancellationToken cancellationToken)
    {
        var bytes = frame.BodyBytes;
        await TakeRoomAsync(link, window, bytes, cancellationToken).ConfigureAwait(false);
        var queued = link.Delivery.Queued();
        Task<SentMessage> durable;
        try
        {
            durable = await link.QueueAsync(frame.Memory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            link.BodyBudget.Release(bytes);
            throw;
        }

        commits.Enqueue(ReleaseBudgetWhenAcknowledgedAsync(link, durable, bytes, queued));
        while (commits.Count > CommitsInFlight)
        {
            await commits.Dequeue().ConfigureAwait(false);
        }
    }

    private static async Task ReleaseBudgetWhenAcknowledgedAsync(PeerLink link, Task<SentMessage> durable, int bytes, DeliveryRate.Mark queued)
    {
        var sent = await durable.ConfigureAwait(false);
        ReleaseWhenAcknowledged(link, sent, bytes, queued);
    }

    // The budget measures body bytes layer 1 still holds for the peer: they leave it when acknowledged,
    // and the acknowledgement is a sample of how fast the link delivers. A link that carries nothing
    // back never acknowledges: there layer 1 bounds what it holds itself, and the budget only what is not yet durable.
    private static void ReleaseWhenAcknowledged(PeerLink link, SentMessage sent, int bytes, DeliveryRate.Mark queued)
    {
        if (bytes > 0 && !link.CanReceive)
        {
            link.BodyBudget.Release(bytes);
        }
        else if (bytes > 0)
        {
            _ = sent.Acknowledged.ContinueWith(
                acknowledged =>
                {
                    link.BodyBudget.Release(bytes);
                    if (acknowledged.IsCompletedSuccessfully)
                    {
                        link.Delivery.Acknowledged(queued, bytes);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private static async Task TakeRoomAsync(PeerLink link, CreditWindow? window, int bytes, CancellationToken cancellationToken)
    {
        if (bytes > 0)
        {
            if (window is not null)
            {
                await window.TakeAsync(bytes, cancellationToken).AsTask().WaitAsync(link.StreamIdleTimeout, cancellationToken).ConfigureAwait(false);
            }

            await link.BodyBudget.TakeAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends one frame carrying body bytes, within the stream's credit and the peer's budget; completes once it is durable.</summary>
    public static async Task<SentMessage> SendChunkAsync(PeerLink link, OutgoingFrame frame, CreditWindow? window, CancellationToken cancellationToken)
    {
        var bytes = frame.BodyBytes;
        await TakeRoomAsync(link, window, bytes, cancellationToken).ConfigureAwait(false);
        var queued = link.Delivery.Queued();
        SentMessage sent;
        try
        {
            sent = await link.SendAsync(frame.Memory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            link.BodyBudget.Release(bytes);
            throw;
        }

        ReleaseWhenAcknowledged(link, sent, bytes, queued);
        return sent;
    }
}
