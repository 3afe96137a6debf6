using System.Buffers;

namespace Relay.HttpProxy.Streams;

/// <summary>Takes a copy of a body as it is sent (to store a response for repeated idempotency keys).</summary>
internal interface IBodyTee
{
    void Append(ReadOnlySequence<byte> data);
}
