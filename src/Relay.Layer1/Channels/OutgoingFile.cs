using System.Buffers;
using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The body of one file about to be written: this node's ack first, then the fragments, in a pooled
/// buffer the writer returns. Built under the channel's lock, so a fragment's own pooled buffer can
/// go back to the pool as soon as it is acknowledged, whatever the writer is doing, and a spool file
/// is read before an ack can delete it. Once copied, spooled fragments drop their in-memory bytes.
/// </summary>
internal sealed record OutgoingFile(byte[] Body, int BodyLength, List<OutboundFragment> Fragments, long MaxSequence)
{
    public static OutgoingFile Build(AckState ack, List<OutboundFragment> fragments, MessageSpool spool)
    {
        var length = BodyRecords.AckRecordLength(ack.Ranges.Count);
        foreach (var fragment in fragments)
        {
            length += fragment.RecordLength;
        }

        var body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var offset = BodyRecords.WriteAck(body, ack);
        long maxSequence = 0;
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment, spool);
            fragment.Unload();
            maxSequence = Math.Max(maxSequence, fragment.Sequence);
        }

        return new OutgoingFile(body, offset, fragments, maxSequence);
    }
}
