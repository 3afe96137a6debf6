namespace Relay.Layer1.Format;

/// <summary>The signed facts of a segment file that the channel uses.</summary>
public sealed record SegmentManifest
{
    public required int Version { get; init; }

    public required string Sender { get; init; }

    public required string Recipient { get; init; }

    /// <summary><c>"{sender}>{recipient}"</c>: binds the file to one channel.</summary>
    public required string Channel { get; init; }

    /// <summary>The file's final name; a file found under another name is rejected.</summary>
    public required string FileName { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required long LamportTime { get; init; }

    public required long BodyLength { get; init; }
}
