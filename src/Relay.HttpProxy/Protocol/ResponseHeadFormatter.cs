using MessagePack;
using MessagePack.Formatters;

namespace Relay.HttpProxy.Protocol;

/// <summary><see cref="ResponseHead"/> as a MessagePack array: 0 status (100–999), 1 headers, 2 content length (nil when unknown); all required.</summary>
internal sealed class ResponseHeadFormatter : IMessagePackFormatter<ResponseHead>
{
    public const int Fields = 3;

    public void Serialize(ref MessagePackWriter writer, ResponseHead value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(Fields);
        writer.Write(value.Status);
        PayloadFields.WriteHeaders(ref writer, value.Headers);
        PayloadFields.WriteOptional(ref writer, value.ContentLength);
    }

    public ResponseHead Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, Fields, "response head");
        var status = reader.ReadInt32();
        var headers = PayloadFields.ReadHeaders(ref reader);
        var contentLength = PayloadFields.ReadOptionalInt64(ref reader);
        PayloadFields.EndArray(ref reader, count, Fields);
        if (status is < 100 or > 999 || contentLength < 0)
        {
            throw new MessagePackSerializationException("The response head has a field out of range.");
        }

        return new ResponseHead(status, headers, contentLength);
    }
}
