namespace Relay.Layer1;

/// <summary>Why a file addressed to this node was dropped without changing any state.</summary>
public enum FileRejectReason
{
    /// <summary>Not a segment file, or its parts do not parse.</summary>
    Malformed,

    /// <summary>Shorter than its own header says.</summary>
    Truncated,

    /// <summary>Authentication of the envelope or a body frame failed.</summary>
    Corrupted,

    /// <summary>Written in a format version this node does not speak.</summary>
    UnsupportedVersion,

    /// <summary>The claimed sender is not a configured peer.</summary>
    UnknownSender,

    /// <summary>The signature does not verify under the claimed sender's key (a forged or foreign file).</summary>
    BadSignature,

    /// <summary>Encrypted or addressed to another node.</summary>
    WrongRecipient,

    /// <summary>The signed file name or channel differs from the file's actual name.</summary>
    NameMismatch,

    /// <summary>Created longer ago than the node accepts.</summary>
    Expired,

    /// <summary>Authentic but carried nothing new: a duplicate delivery or a replay of an old file.</summary>
    Replayed,

    /// <summary>Larger than any file a peer may write.</summary>
    TooLarge,

    /// <summary>A FIFO, socket, device, directory or symbolic link under a segment file name: never opened, left in place.</summary>
    NotRegularFile,

    /// <summary>
    /// Authentic, but its body is protected otherwise than this node is configured for its sender
    /// (encrypted where sign-only is configured, or the reverse): both ends must agree.
    /// </summary>
    ProtectionMismatch,

    /// <summary>
    /// The claimed sender is a peer this node only writes to (<see cref="PeerDirection.SendOnly"/>):
    /// nothing from it is read, so the file is dropped unopened.
    /// </summary>
    WrongDirection,
}
