using MessagePack;
using MessagePack.Formatters;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// <see cref="RequestHead"/> as a MessagePack array: 0 method, 1 target, 2 headers, 3 content length
/// (nil when unknown), 4 has body, 5 deadline ms, 6 response codec, 7 caller address (nil when
/// unknown), 8 caller host, 9 caller scheme, 10 expires at (Unix ms, nil = none), 11 route (nil = none).
/// Fields 0–9 are required; 10 and 11 may be left off. docs/protocol.md gives types and ranges.
/// </summary>
internal sealed class RequestHeadFormatter : IMessagePackFormatter<RequestHead>
{
    public const int Fields = 12;
    private const int Required = 10;

    public void Serialize(ref MessagePackWriter writer, RequestHead value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(Fields);
        writer.Write(value.Method);
        writer.Write(value.Target);
        PayloadFields.WriteHeaders(ref writer, value.Headers);
        PayloadFields.WriteOptional(ref writer, value.ContentLength);
        writer.Write(value.HasBody);
        writer.Write(value.DeadlineMilliseconds);
        writer.Write((byte)value.ResponseCodec);
        writer.Write(value.CallerAddress);
        writer.Write(value.CallerHost);
        writer.Write(value.CallerScheme);
        PayloadFields.WriteOptional(ref writer, value.ExpiresAtUnixMilliseconds);
        writer.Write(value.Route);
    }

    public RequestHead Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, Required, "request head");
        var method = PayloadFields.ReadString(ref reader, "method");
        var target = PayloadFields.ReadString(ref reader, "target");
        var headers = PayloadFields.ReadHeaders(ref reader);
        var contentLength = PayloadFields.ReadOptionalInt64(ref reader);
        var hasBody = reader.ReadBoolean();
        var deadline = reader.ReadInt64();
        var codec = reader.ReadByte();
        var callerAddress = PayloadFields.ReadOptionalString(ref reader);
        var callerHost = PayloadFields.ReadString(ref reader, "callerHost");
        var callerScheme = PayloadFields.ReadString(ref reader, "callerScheme");
        var expires = count > 10 ? PayloadFields.ReadOptionalInt64(ref reader) : null;
        var route = count > 11 ? PayloadFields.ReadOptionalString(ref reader) : null;
        PayloadFields.EndArray(ref reader, count, Fields);

        if (method.Length == 0 || contentLength < 0 || deadline < 0 || codec > (byte)BodyCodec.Brotli)
        {
            throw new MessagePackSerializationException("The request head has a field out of range.");
        }

        return new RequestHead(method, target, headers, contentLength, hasBody, deadline, (BodyCodec)codec, callerAddress, callerHost, callerScheme, expires, route);
    }
}
