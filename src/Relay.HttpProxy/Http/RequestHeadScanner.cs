using System.Buffers;
using System.Globalization;
using System.Text;

namespace Relay.HttpProxy.Http;

/// <summary>
/// Follows the bytes of one HTTP/1.1 connection as the server reads them and, for each request head
/// in order, records the tokens of all its <c>Connection</c> lines. Kestrel keeps only the one option
/// it understands when a line also lists header names (<c>Connection: keep-alive, X-Secret</c> reaches
/// the application as <c>keep-alive</c>), so without this those names would be forwarded as end-to-end
/// headers. It only observes: bodies are skipped by their framing, and anything it cannot follow
/// (HTTP/2, an upgraded connection, a malformed message, an oversized head) stops it for the connection.
/// </summary>
internal sealed class RequestHeadScanner
{
    private const int MaxHeadBytes = 64 * 1024;

    private readonly Queue<ScannedHead> _heads = new();
    private readonly Lock _gate = new();
    private readonly List<byte> _line = [];
    private readonly List<string> _headLines = [];
    private State _state = State.Head;
    private long _remaining;
    private int _headBytes;

    private enum State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Stopped,
    }

    /// <summary>False once the scanner has given up on the connection; heads after that are not known.</summary>
    public bool IsFollowing
    {
        get
        {
            lock (_gate)
            {
                return _state != State.Stopped;
            }
        }
    }

    /// <summary>Feeds bytes the server has just read, in order.</summary>
    public void Observe(ReadOnlySequence<byte> bytes)
    {
        lock (_gate)
        {
            foreach (var segment in bytes)
            {
                var span = segment.Span;
                while (!span.IsEmpty && _state != State.Stopped)
                {
                    span = span[Step(span)..];
                }
            }
        }
    }

    /// <summary>
    /// The <c>Connection</c> tokens of the next request head, if it is the request the server now
    /// hands over (same method and target); null when it is not known.
    /// </summary>
    public IReadOnlySet<string>? TakeFor(string method, string target)
    {
        lock (_gate)
        {
            if (!_heads.TryDequeue(out var head))
            {
                return null;
            }

            if (head.Method != method || head.Target != target)
            {
                // Out of step with the server: say nothing rather than something wrong.
                _heads.Clear();
                _state = State.Stopped;
                return null;
            }

            return head.ConnectionTokens;
        }
    }

    // Consumes a prefix of the span; returns its length.
    private int Step(ReadOnlySpan<byte> span)
    {
        switch (_state)
        {
            case State.Body:
            case State.ChunkData:
            {
                var take = (int)Math.Min(_remaining, span.Length);
                _remaining -= take;
                if (_remaining == 0)
                {
                    _state = _state == State.Body ? State.Head : State.ChunkDataEnd;
                    _remaining = 2;
                }

                return take;
            }

            case State.ChunkDataEnd:
            {
                var take = (int)Math.Min(_remaining, span.Length);
                _remaining -= take;
                if (_remaining == 0)
                {
                    _state = State.ChunkSize;
                }

                return take;
            }

            default:
                return StepLines(span);
        }
    }

    private int StepLines(ReadOnlySpan<byte> span)
    {
        var end = span.IndexOf((byte)'\n');
        var take = end < 0 ? span.Length : end + 1;
        _headBytes += take;
        if (_headBytes > MaxHeadBytes)
        {
            Stop();
            return take;
        }

        foreach (var b in span[..take])
        {
            _line.Add(b);
        }

        if (end >= 0)
        {
            var line = Encoding.Latin1.GetString([.. _line]).TrimEnd('\r', '\n');
            _line.Clear();
            OnLine(line);
        }

        return take;
    }

    private void OnLine(string line)
    {
        switch (_state)
        {
            case State.Head:
                if (line.Length == 0 && _headLines.Count == 0)
                {
                    // Empty lines before a request line are allowed and ignored.
                    _headBytes = 0;
                    return;
                }

                if (line.Length > 0)
                {
                    _headLines.Add(line);
                    return;
                }

                EndHead();
                return;

            case State.ChunkSize:
                var size = line.Split(';', 2)[0].Trim();
                if (!long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length) || length < 0)
                {
                    Stop();
                    return;
                }

                _headBytes = 0;
                (_state, _remaining) = length == 0 ? (State.Trailers, 0L) : (State.ChunkData, length);
                return;

            case State.Trailers:
                if (line.Length == 0)
                {
                    _state = State.Head;
                    _headBytes = 0;
                }

                return;
        }
    }

    private void EndHead()
    {
        var requestLine = _headLines[0].Split(' ');
        _headBytes = 0;
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            // HTTP/2's preface ("PRI * HTTP/2.0") or something this scanner does not follow.
            Stop();
            return;
        }

        var tokens = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long? contentLength = null;
        var chunked = false;
        var upgrade = false;
        foreach (var header in _headLines.Skip(1))
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                Stop();
                return;
            }

            var name = header[..colon].Trim();
            var value = header[(colon + 1)..].Trim();
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    tokens.Add(token);
                    upgrade |= token.Equals("upgrade", StringComparison.OrdinalIgnoreCase);
                }
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    Stop();
                    return;
                }

                contentLength = length;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
                if (!chunked)
                {
                    Stop();
                    return;
                }
            }
        }

        _heads.Enqueue(new ScannedHead(requestLine[0], requestLine[1], tokens));
        _headLines.Clear();
        if (upgrade)
        {
            // What follows may be another protocol altogether.
            _state = State.Stopped;
        }
        else if (chunked)
        {
            _state = State.ChunkSize;
        }
        else if (contentLength > 0)
        {
            (_state, _remaining) = (State.Body, contentLength.Value);
        }
    }

    private void Stop()
    {
        _state = State.Stopped;
        _line.Clear();
        _headLines.Clear();
    }

    private sealed record ScannedHead(string Method, string Target, HashSet<string> ConnectionTokens);
}
