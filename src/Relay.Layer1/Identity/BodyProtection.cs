namespace Relay.Layer1.Identity;

/// <summary>How the bodies of the files between a node and one peer are protected.</summary>
public enum BodyProtection
{
    /// <summary>Signed, then encrypted to the recipient: only the recipient reads the body.</summary>
    Encrypted,

    /// <summary>
    /// Signed only: anyone can read the body (an inspecting mirror can scan it), while the
    /// signature and per-frame hashes still detect any change.
    /// </summary>
    SignedOnly,
}
