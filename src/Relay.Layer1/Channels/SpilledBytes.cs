namespace Relay.Layer1.Channels;

/// <summary>Where one held fragment's bytes are in the channel's spill files.</summary>
internal readonly record struct SpilledBytes(long File, long Offset, int Length);
