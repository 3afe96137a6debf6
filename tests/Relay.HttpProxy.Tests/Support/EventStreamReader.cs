using System.Text;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>Reads server-sent events (id and data lines, a blank line ending each) from a response body as they come.</summary>
internal sealed class EventStreamReader : IDisposable
{
    private readonly StreamReader _reader;

    public EventStreamReader(Stream body) => _reader = new StreamReader(body, Encoding.UTF8);

    /// <summary>The next event's id and data, or null at the end of the stream.</summary>
    public async Task<(string Id, string Data)?> ReadAsync(CancellationToken cancellationToken)
    {
        string? id = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (id is not null || data.Length > 0)
                {
                    return (id ?? "", data.ToString());
                }

                continue;
            }

            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }

        return null;
    }

    public void Dispose() => _reader.Dispose();
}
