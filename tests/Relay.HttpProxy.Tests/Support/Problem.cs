using System.Net.Http.Json;
using System.Text.Json;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>Reads an RFC 9457 problem response.</summary>
internal static class Problem
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>Asserts the response is a problem of <paramref name="status"/> and <paramref name="type"/>; returns it for further checks.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, int status, string type)
    {
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await ReadAsync(response);
        Assert.Equal("urn:relay:problem:" + type, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }
}
