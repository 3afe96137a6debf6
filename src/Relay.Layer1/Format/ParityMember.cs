namespace Relay.Layer1.Format;

/// <summary>One data file of a parity group, as its parity record lists it: its body's length and SHA-256.</summary>
internal readonly record struct ParityMember(int Length, byte[] Hash);
