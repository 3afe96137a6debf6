using System.Net.Sockets;
using System.Text;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>A request body that breaks off is never answered as a success, held or asynchronous, and the far call never completes.</summary>
public sealed class BrokenUploadTests : LosslessRelayTest
{
    [Theory]
    [InlineData("")]
    [InlineData("Prefer: respond-async\r\n")]
    public async Task ChunkedUploadThatStallsAfterFiveBytes_IsNeverASuccess(string extraHeaders)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Relay.Ingress.Host, Relay.Ingress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /svc/upload HTTP/1.1\r\nHost: relay.test\r\nTransfer-Encoding: chunked\r\n{extraHeaders}\r\n5\r\nhello\r\n"));
        await stream.FlushAsync();
        // The caller stalls, with its connection open: the server's minimum data rate (240 B/s after a
        // 5 s grace) ends the body in the middle of its chunked framing.

        var answer = await ReadToEndAsync(stream);

        Assert.False(answer.StartsWith("HTTP/1.1 2", StringComparison.Ordinal), $"a broken upload was answered: {answer}");
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal) || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
        Assert.Equal(0, Callee.UploadsCompleted);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // The relay aborted the connection: the answer is what came before, if anything.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
