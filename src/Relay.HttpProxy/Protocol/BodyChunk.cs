namespace Relay.HttpProxy.Protocol;

/// <summary>The body part of a head or data frame, as it travelled.</summary>
/// <param name="Encoded">Raw bytes, or one compressed block without its length prefix.</param>
/// <param name="Codec">How <paramref name="Encoded"/> is encoded.</param>
/// <param name="DecodedLength">Its length once decoded.</param>
/// <param name="Credit">The bytes it counts against the receiver's window.</param>
/// <param name="EndOfBody">Whether the body ends with it.</param>
/// <param name="DeclaredTotal">With <paramref name="EndOfBody"/>: the whole body's decoded length.</param>
internal readonly record struct BodyChunk(ReadOnlyMemory<byte> Encoded, BodyCodec Codec, int DecodedLength, int Credit, bool EndOfBody, long DeclaredTotal)
{
    public static BodyChunk Of(Frame frame) => new(frame.Body, frame.Codec, frame.DecodedLength, frame.BodyCredit, frame.EndOfBody, frame.DeclaredTotal);

    /// <summary>A whole body that is all here, raw.</summary>
    public static BodyChunk Whole(ReadOnlyMemory<byte> raw) => new(raw, BodyCodec.None, raw.Length, raw.Length, EndOfBody: true, raw.Length);
}
