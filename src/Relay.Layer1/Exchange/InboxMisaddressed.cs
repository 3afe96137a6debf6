namespace Relay.Layer1.Exchange;

/// <summary>What the last listing of an inbox found that does not belong there.</summary>
internal sealed record InboxMisaddressed(int OwnFiles, int ForeignFiles);
