using System.Buffers;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>A byte sequence in several segments, as a pipe hands over a chunk that spans its buffers.</summary>
internal sealed class SegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private SegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(byte[] bytes, int segmentLength)
    {
        var first = new SegmentedSequence(bytes.AsMemory(0, Math.Min(segmentLength, bytes.Length)), 0);
        var last = first;
        for (var at = segmentLength; at < bytes.Length; at += segmentLength)
        {
            var next = new SegmentedSequence(bytes.AsMemory(at, Math.Min(segmentLength, bytes.Length - at)), at);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
