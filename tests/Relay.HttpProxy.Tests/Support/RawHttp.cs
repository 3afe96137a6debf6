using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// HTTP/1.1 at the byte level, for what HttpClient and Kestrel would normalise away: a server that
/// records each request head as it arrived and answers with fixed bytes, and a client that sends
/// exact bytes and returns the response head as it came.
/// </summary>
internal sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private RawHttp(string response)
    {
        _response = Encoding.ASCII.GetBytes(response);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Request heads received, as text.</summary>
    public ConcurrentQueue<string> RequestHeads { get; } = new();

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    /// <summary>A server answering every request with <paramref name="response"/> (a whole HTTP/1.1 response, CRLF line ends).</summary>
    public static RawHttp Serve(string response) => new(response);

    /// <summary>Sends <paramref name="request"/> as bytes to <paramref name="server"/>; returns the response head and body as text.</summary>
    public static async Task<(string Head, string Body)> SendAsync(Uri server, string request) => (await SendOnOneConnectionAsync(server, request))[0];

    /// <summary>Sends each request in turn on one connection, reading each response before the next request.</summary>
    public static async Task<List<(string Head, string Body)>> SendOnOneConnectionAsync(Uri server, params string[] requests)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var responses = new List<(string, string)>();
        foreach (var request in requests)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            var head = await ReadHeadAsync(stream);
            var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            var body = new byte[length];
            await stream.ReadExactlyAsync(body);
            responses.Add((head, Encoding.UTF8.GetString(body)));
        }

        return responses;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (head.Count < 65536)
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                break;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                break;
            }
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    RequestHeads.Enqueue(await ReadHeadAsync(stream));
                    await stream.WriteAsync(_response);
                }
            });
        }
    }
}
