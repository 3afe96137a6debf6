using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

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

    /// <summary>Asserts a callback carries a problem of <paramref name="status"/> (in <c>Relay-Status</c>) and <paramref name="type"/>.</summary>
    public static void AssertCallback(IHeaderDictionary headers, byte[] body, int status, string type)
    {
        Assert.Equal(status.ToString(CultureInfo.InvariantCulture), headers["Relay-Status"].ToString());
        Assert.Equal("application/problem+json", headers.ContentType.ToString());
        Assert.Equal("urn:relay:problem:" + type, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
    }
}
