using Microsoft.AspNetCore.Http;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Protocol;

public sealed class HeaderListTests
{
    private static readonly HeaderList Sample = HeaderList.FromNamesAndValues(["Accept", "text/html", "X-Tag", "a", "x-tag", "b", "Content-Type", "text/plain"]);

    [Fact]
    public void Fields_KeepTheirOrderAndRepeats()
    {
        Assert.Equal(4, Sample.Count);
        Assert.Equal([new HeaderField("Accept", "text/html"), new("X-Tag", "a"), new("x-tag", "b"), new("Content-Type", "text/plain")], Sample);
    }

    [Fact]
    public void FirstValue_IgnoresTheCaseOfNames_AndIsNullWhenAbsent()
    {
        Assert.Equal("a", Sample.FirstValue("x-TAG"));
        Assert.Null(Sample.FirstValue("Cookie"));
    }

    [Fact]
    public void OddNamesAndValues_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => HeaderList.FromNamesAndValues(["X-Lonely"]));
    }

    [Fact]
    public void Lists_CompareByValue_SoHeadsDo()
    {
        var same = HeaderList.Create([new("Accept", "text/html"), new("X-Tag", "a"), new("x-tag", "b"), new("Content-Type", "text/plain")]);
        Assert.Equal(Sample, same);
        Assert.Equal(Sample.GetHashCode(), same.GetHashCode());
        Assert.Equal(new ResponseHead(200, Sample, null), new ResponseHead(200, same, null));
        Assert.NotEqual(Sample, Sample.With("X-Tag", "c"));
        Assert.Equal(HeaderList.Empty, []);
    }

    [Fact]
    public void AppendTo_KeepsRepeatedFieldsApart()
    {
        var headers = new HeaderDictionary();
        Sample.AppendTo(headers);
        Assert.Equal("a,b", headers["X-Tag"].ToString());
        Assert.Equal(2, headers["X-Tag"].Count);
    }

    [Fact]
    public void AddTo_FilesContentHeadersOnTheContent_AndTheRestOnTheRequest()
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/") { Content = new ByteArrayContent([]) };
        Sample.AddTo(message);
        Assert.Equal(["a", "b"], message.Headers.GetValues("X-Tag"));
        Assert.Equal("text/plain", message.Content.Headers.ContentType?.ToString());
        Assert.DoesNotContain(message.Headers, header => header.Key == "Content-Type");
    }
}
