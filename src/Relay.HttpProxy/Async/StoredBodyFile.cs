using System.Buffers.Binary;
using System.IO.Abstractions;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary>
/// The file a response body is kept in on the entry side, as it came over the channel: records of
/// the message's sequence number (8 bytes), codec (1 byte, a <see cref="BodyCodec"/>), decoded
/// length (4 bytes), stored length (4 bytes) and the chunk. Every chunk is its own block, so each
/// record decodes alone. The sequence number makes appending idempotent across a crash: a message
/// delivered again after a restart is found already written and skipped.
/// </summary>
internal static class StoredBodyFile
{
    public const int RecordHeaderLength = 17;

    private const int StoredLengthOffset = 13;

    /// <summary>Drops a record cut short by a crash; returns the sequence number of the last whole record (0 when none).</summary>
    public static long Recover(IFileSystem fileSystem, string path)
    {
        if (!fileSystem.File.Exists(path))
        {
            return 0;
        }

        using var file = fileSystem.FileStream.New(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
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

            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(StoredLengthOffset));
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

    public static void Append(FileSystemStream file, long sequence, BodyChunk chunk)
    {
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteInt64BigEndian(header, sequence);
        header[8] = (byte)chunk.Codec;
        BinaryPrimitives.WriteInt32BigEndian(header[9..], chunk.DecodedLength);
        BinaryPrimitives.WriteInt32BigEndian(header[StoredLengthOffset..], chunk.Encoded.Length);
        file.Write(header);
        file.Write(chunk.Encoded.Span);

        // To the operating system before the message is marked handled: a killed process loses nothing.
        file.Flush(flushToDisk: false);
    }

    /// <summary>Reads a record header: false when the codec or a length is out of range (the file is not this node's).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out BodyCodec codec, out int decodedLength, out int storedLength)
    {
        codec = (BodyCodec)header[8];
        decodedLength = BinaryPrimitives.ReadInt32BigEndian(header[9..]);
        storedLength = BinaryPrimitives.ReadInt32BigEndian(header[StoredLengthOffset..]);
        return Enum.IsDefined(codec) && storedLength >= 0
            && (codec == BodyCodec.None ? decodedLength == storedLength : decodedLength is > 0 and <= BodyBlock.MaxDecodedLength);
    }
}
