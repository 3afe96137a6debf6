using System.Net;

namespace Relay.Samples.SharedFolder;

/// <summary>A request body of <see cref="Pattern"/> bytes, generated as it is sent.</summary>
internal sealed class PatternContent : HttpContent
{
    private readonly long _length;

    public PatternContent(long length)
    {
        _length = length;
        Headers.ContentLength = length;
        Headers.ContentType = new("application/octet-stream");
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < _length;)
        {
            var count = (int)Math.Min(buffer.Length, _length - sent);
            Pattern.Fill(buffer.AsSpan(0, count), sent);
            await stream.WriteAsync(buffer.AsMemory(0, count));
            sent += count;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
