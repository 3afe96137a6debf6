namespace Relay.Layer1.Exchange;

/// <summary>What a folder entry is, found without following a link.</summary>
internal enum FolderEntryKind
{
    /// <summary>The entry is gone, or its kind could not be learned; opening it tells.</summary>
    Unknown,

    /// <summary>A regular file: the only kind a receiver reads.</summary>
    RegularFile,

    /// <summary>A symbolic link, FIFO, socket, device or directory.</summary>
    NotRegularFile,
}
