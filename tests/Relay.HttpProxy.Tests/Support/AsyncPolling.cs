using System.Net;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>Polls <c>/relay/requests/{id}</c> the way a caller of a request answered 202 does.</summary>
internal static class AsyncPolling
{
    /// <summary>GETs <paramref name="location"/> until it answers other than 202 (at most a minute); returns that answer.</summary>
    public static async Task<HttpResponseMessage> PollUntilAnsweredAsync(this HttpClient client, string location)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var poll = await client.GetAsync(location);
            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                return poll;
            }

            poll.Dispose();

            // The endpoint has no way to wait on: its Retry-After says to ask again.
            await Task.Delay(100);
        }

        throw new TimeoutException("The response never came.");
    }
}
