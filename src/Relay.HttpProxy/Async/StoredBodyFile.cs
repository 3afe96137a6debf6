using System.Buffers.Binary;
using System.IO.Abstractions;

namespace Relay.HttpProxy.Async;

/// <summary>
/// The file a response body is kept in on the entry side, as it came over the channel: records of
/// the message's sequence number (8 bytes), flags (1 byte: bit 0 Brotli), length (4 bytes) and the
/// chunk. The sequence number makes appending idempotent across a crash: a message delivered
/// again after a restart is found already written and skipped.
/// </summary>
internal static class StoredBodyFile
{
    public const int RecordHeaderLength = 13;

    /// <summary>Drops a record cut short by a crash; returns the sequence number of the last whole record (0 when none).</summary>
    public static long Recover(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var header = new byte[RecordHeaderLength];
        long lastSequence = 0;
        long wholeThrough = 0;
        while (true)
        {
            file.Position = wholeThrough;
            if (file.ReadAtLeast(header, RecordHeaderLength, throwOnEndOfStream: false) < RecordHeaderLength)
            {
                break;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(9));
            if (length < 0 || wholeThrough + RecordHeaderLength + length > file.Length)
            {
                break;
            }

            lastSequence = BinaryPrimitives.ReadInt64BigEndian(header);
            wholeThrough += RecordHeaderLength + length;
        }

        file.SetLength(wholeThrough);
        return lastSequence;
    }

    public static void Append(FileSystemStream file, long sequence, bool brotli, ReadOnlySpan<byte> chunk)
    {
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteInt64BigEndian(header, sequence);
        header[8] = brotli ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(header[9..], chunk.Length);
        file.Write(header);
        file.Write(chunk);

        // To the operating system before the message is marked handled: a killed process loses nothing.
        file.Flush(flushToDisk: false);
    }
}
