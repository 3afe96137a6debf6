using System.Net;
using System.Net.Sockets;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>Free loopback ports, and waiting for a node started as a process to answer on one.</summary>
internal static class LoopbackPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <c>/relay/health</c> (bounded: 30 s) until the node answers 2xx.</summary>
    public static async Task WaitForHealthAsync(HttpClient client)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var response = await client.GetAsync("/relay/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the entry node never became healthy");
    }
}
