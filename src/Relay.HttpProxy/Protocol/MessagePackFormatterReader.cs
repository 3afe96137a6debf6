using MessagePack;

namespace Relay.HttpProxy.Protocol;

/// <summary>Reads one value from a MessagePack reader (a delegate, since the reader is a ref struct).</summary>
internal delegate T MessagePackFormatterReader<out T>(ref MessagePackReader reader, MessagePackSerializerOptions options);
