using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// The structured payloads of frames (heads and the unsupported-version answer) in MessagePack,
/// read with the library's untrusted-data limits. Decoding never throws: bad bytes give false.
/// </summary>
internal static class FramePayloads
{
    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            [new RequestHeadFormatter(), new ResponseHeadFormatter(), new UnsupportedVersionDocumentFormatter()],
            [StandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Decodes exactly one payload filling <paramref name="bytes"/>; false when the bytes are not one, or break its rules.</summary>
    public static bool TryDecode<T>(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out T? value)
        where T : class
    {
        try
        {
            value = MessagePackSerializer.Deserialize<T>(bytes, Options, out var read);
            if (read == bytes.Length && value is not null)
            {
                return true;
            }
        }
        catch (MessagePackSerializationException)
        {
            // The library wraps whatever a formatter or the reader threw.
        }

        value = null;
        return false;
    }

    public static void Write<T>(IBufferWriter<byte> destination, T value) => MessagePackSerializer.Serialize(destination, value, Options);

    public static byte[] ToBytes<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    /// <summary>
    /// Runs hand-written reading code (control payloads) under the same rule: what the reader throws
    /// on bad bytes (the serializer would wrap it) is a refusal.
    /// </summary>
    public static bool TryRead<T>(ReadOnlyMemory<byte> bytes, MessagePackFormatterReader<T> read, [MaybeNullWhen(false)] out T value)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            value = read(ref reader, Options);
            return reader.End;
        }
        catch (Exception exception) when (exception is MessagePackSerializationException or EndOfStreamException or OverflowException
            or InsufficientExecutionStackException or ArgumentOutOfRangeException)
        {
            value = default;
            return false;
        }
    }
}
