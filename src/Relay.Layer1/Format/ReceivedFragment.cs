namespace Relay.Layer1.Format;

/// <summary>A fragment as read from a file; <see cref="Data"/> points into the decode buffer until copied.</summary>
internal readonly record struct ReceivedFragment(long Sequence, FragmentFlags Flags, long LamportTime, ReadOnlyMemory<byte> Data);
