namespace Relay.Layer1.Format;

/// <summary>Record types in a segment body (see docs/protocol.md, "Body records").</summary>
internal enum BodyRecordType : byte
{
    Ack = 1,
    Fragment = 2,
    Parity = 3,
}
