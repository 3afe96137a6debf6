namespace Relay.Layer1.Format;

/// <summary>
/// A parity record as read from a file (docs/protocol.md, "Parity record"): the group it covers, its
/// members' body lengths and hashes, and the XOR of their bodies; <see cref="Xor"/> points into the
/// decode buffer until copied.
/// </summary>
internal sealed record ParityRecord(long GroupId, IReadOnlyList<ParityMember> Members, ReadOnlyMemory<byte> Xor);
