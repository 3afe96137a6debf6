namespace Relay.Layer1;

/// <summary>
/// A message delivered from a peer, in the order the peer sent it. Until it is marked handled
/// (<see cref="Layer1Node.MarkHandledAsync"/>), a restart of this node delivers it again.
/// Large payloads live in pooled memory that goes back to the pool when the message is marked
/// handled: the payload must not be used after that call.
/// </summary>
/// <param name="Peer">The sending node.</param>
/// <param name="Sequence">The channel sequence number of its first fragment; identifies the message within the channel.</param>
/// <param name="LastSequence">The sequence number of its last fragment (equal to <paramref name="Sequence"/> unless it was split).</param>
/// <param name="LamportTime">The sender's Lamport time when it was sent.</param>
/// <param name="Payload">The bytes as sent.</param>
public sealed record ReceivedMessage(string Peer, long Sequence, long LastSequence, long LamportTime, ReadOnlyMemory<byte> Payload)
{
    internal byte[]? PooledBuffer { get; init; }

    internal void ReturnBuffer()
    {
        if (PooledBuffer is { } buffer)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
