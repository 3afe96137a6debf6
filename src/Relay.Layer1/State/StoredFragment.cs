namespace Relay.Layer1.State;

/// <summary>
/// An outgoing fragment not yet acknowledged by the peer, as stored. Fragments of spooled messages
/// carry <see cref="SpoolFirstSequence"/> and <see cref="SpoolOffset"/> instead of keeping their
/// bytes in the database.
/// </summary>
internal sealed record StoredFragment(long Sequence, byte Flags, long LamportTime, byte[] Data, long? SpoolFirstSequence = null, long SpoolOffset = 0, int Length = -1)
{
    /// <summary>The data's length: a spooled fragment keeps no data here.</summary>
    public int DataLength => Length >= 0 ? Length : Data.Length;
}
