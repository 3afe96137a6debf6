using MessagePack;
using MessagePack.Formatters;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// <see cref="UnsupportedVersionDocument"/> as a MessagePack array: 0 error (string), 1 supported
/// versions (array of integers 1–255). Every version keeps this layout, so any node can read the answer.
/// </summary>
internal sealed class UnsupportedVersionDocumentFormatter : IMessagePackFormatter<UnsupportedVersionDocument>
{
    public const int Fields = 2;

    public void Serialize(ref MessagePackWriter writer, UnsupportedVersionDocument value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(Fields);
        writer.Write(value.Error);
        writer.WriteArrayHeader(value.SupportedVersions.Length);
        foreach (var version in value.SupportedVersions)
        {
            writer.Write(version);
        }
    }

    public UnsupportedVersionDocument Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, Fields, "unsupported-version answer");
        var error = PayloadFields.ReadString(ref reader, "error");
        var versions = new int[PayloadFields.ReadBoundedArrayHeader(ref reader)];
        for (var i = 0; i < versions.Length; i++)
        {
            versions[i] = reader.ReadByte();
            if (versions[i] == 0)
            {
                throw new MessagePackSerializationException("Version 0 does not exist.");
            }
        }

        PayloadFields.EndArray(ref reader, count, Fields);
        return new UnsupportedVersionDocument(error, versions);
    }
}
