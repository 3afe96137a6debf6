using MessagePack;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// Reads and writes the fields every structured payload shares. Each payload is a MessagePack array
/// whose element n is field n. A later version only appends elements: a reader takes the fields it
/// knows, skips any after them, and gives optional fields it does not find their defaults.
/// </summary>
internal static class PayloadFields
{
    // Nothing this version writes nests deeper than 3; skipped fields from later versions get room to grow.
    private const int MaxSkipDepth = 16;

    /// <summary>Enters a payload's array; returns its element count, which must cover the required fields.</summary>
    public static int BeginArray(ref MessagePackReader reader, MessagePackSerializerOptions options, int required, string payload)
    {
        options.Security.DepthStep(ref reader);
        var count = reader.ReadArrayHeader();
        if (count < required)
        {
            throw new MessagePackSerializationException($"The {payload} has {count} fields; at least {required} are required.");
        }

        return count;
    }

    /// <summary>Skips the elements after the <paramref name="known"/> fields (a later version's) and leaves the array.</summary>
    public static void EndArray(ref MessagePackReader reader, int count, int known)
    {
        for (var i = known; i < count; i++)
        {
            SkipValue(ref reader, 0);
        }

        reader.Depth--;
    }

    public static string ReadString(ref MessagePackReader reader, string field) =>
        reader.ReadString() ?? throw new MessagePackSerializationException($"The field {field} is nil.");

    public static string? ReadOptionalString(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : reader.ReadString();

    public static long? ReadOptionalInt64(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : reader.ReadInt64();

    /// <summary>Header names and values, alternating: an array of strings with an even count.</summary>
    public static HeaderList ReadHeaders(ref MessagePackReader reader)
    {
        var count = ReadBoundedArrayHeader(ref reader);
        if (count % 2 != 0)
        {
            throw new MessagePackSerializationException("The headers have a name without a value.");
        }

        var headers = new string[count];
        for (var i = 0; i < count; i++)
        {
            headers[i] = ReadString(ref reader, "headers");
        }

        return HeaderList.FromNamesAndValues(headers);
    }

    public static void WriteHeaders(ref MessagePackWriter writer, HeaderList headers)
    {
        writer.WriteArrayHeader(headers.NamesAndValues.Length);
        foreach (var value in headers.NamesAndValues)
        {
            writer.Write(value);
        }
    }

    public static void WriteOptional(ref MessagePackWriter writer, long? value)
    {
        if (value is { } present)
        {
            writer.Write(present);
        }
        else
        {
            writer.WriteNil();
        }
    }

    /// <summary>An array header whose count the remaining bytes could hold (every element takes at least one), so a claim cannot make the reader allocate more than the payload.</summary>
    public static int ReadBoundedArrayHeader(ref MessagePackReader reader)
    {
        var count = reader.ReadArrayHeader();
        if (count > reader.Sequence.Length - reader.Consumed)
        {
            throw new MessagePackSerializationException($"An array claims {count} elements, more than the payload holds.");
        }

        return count;
    }

    // The library's own skip recurses without bound; nesting from a stranger is bounded here.
    private static void SkipValue(ref MessagePackReader reader, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
            case MessagePackType.Map:
                if (depth >= MaxSkipDepth)
                {
                    throw new MessagePackSerializationException("A skipped field nests too deeply.");
                }

                var elements = reader.NextMessagePackType == MessagePackType.Array ? ReadBoundedArrayHeader(ref reader) : checked(2 * reader.ReadMapHeader());
                for (var i = 0; i < elements; i++)
                {
                    SkipValue(ref reader, depth + 1);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }
}
