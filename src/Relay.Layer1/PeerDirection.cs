namespace Relay.Layer1;

/// <summary>Which way files move between a node and one peer.</summary>
public enum PeerDirection
{
    /// <summary>Files go both ways: acks come back, and what is lost is sent again.</summary>
    Both,

    /// <summary>
    /// This node only writes to the peer (a data diode or export-only mirror): no acks come back,
    /// so nothing is resent unless an operator carries a gap report back.
    /// </summary>
    SendOnly,

    /// <summary>This node only reads from the peer and never writes to it.</summary>
    ReceiveOnly,
}
