using System.IO.Abstractions;
using System.Runtime.InteropServices;

namespace Relay.Layer1.Exchange;

/// <summary>
/// Learns the kind of a folder entry without following links and without opening it: opening a
/// FIFO blocks until a writer appears, so a stranger's FIFO must be recognised before any open.
/// </summary>
internal static class FolderEntryProbe
{
    // File type bits as the .NET runtime's native shim reports them, whatever the platform's own values.
    private const int TypeMask = 0xF000;
    private const int RegularType = 0x8000;

    // The shim's status record starts with two 32-bit fields (flags, mode); the buffer is larger than the record.
    private const int StatusBufferBytes = 256;

    private static int s_nativeUnavailable;

    public static FolderEntryKind Probe(IFileSystem fileSystem, string path)
    {
        IFileInfo info;
        try
        {
            info = fileSystem.FileInfo.New(path);
            if (!info.Exists)
            {
                return FolderEntryKind.Unknown;
            }

            // A link is never followed: its target may be a FIFO, a device, or a file outside the folder.
            if (info.LinkTarget is not null || (info.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Device | FileAttributes.Directory)) != 0)
            {
                return FolderEntryKind.NotRegularFile;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return FolderEntryKind.Unknown;
        }

        // Only the real file system has FIFOs, sockets and devices; test doubles hold regular files only.
        if (fileSystem is not FileSystem || OperatingSystem.IsWindows() || Volatile.Read(ref s_nativeUnavailable) != 0)
        {
            return FolderEntryKind.RegularFile;
        }

        var status = new byte[StatusBufferBytes];
        try
        {
            if (NativeMethods.LStat(path, status) != 0)
            {
                return FolderEntryKind.Unknown;
            }
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_nativeUnavailable, 1);
            return FolderEntryKind.RegularFile;
        }

        var mode = BitConverter.ToInt32(status, sizeof(int));
        return (mode & TypeMask) == RegularType ? FolderEntryKind.RegularFile : FolderEntryKind.NotRegularFile;
    }

    private static class NativeMethods
    {
        // The runtime's own shim (always loaded on Unix) gives lstat with one layout on every architecture.
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int LStat(string path, byte[] status);
    }
}
