using System.Text;
using Relay.Layer1.OneWay;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.OneWay;

public sealed class GapReportTests
{
    private static readonly GapReport Report = new()
    {
        Receiver = "site-b",
        Sender = "site-a",
        Created = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
        ReceivedThrough = 40,
        Gaps = [new MissingRange(3, 5), new MissingRange(17, 17)],
    };

    [Fact]
    public void SignedReport_VerifiesWithTheReceiversPublicKey_AndSaysWhatWasSigned()
    {
        var file = Report.Sign(TestKeys.SiteB);

        var verified = GapReport.Verify(file, TestKeys.SiteB.PublicKeys, "site-a");

        Assert.Equal(Report.Receiver, verified.Receiver);
        Assert.Equal(Report.Sender, verified.Sender);
        Assert.Equal(Report.Created, verified.Created);
        Assert.Equal(Report.ReceivedThrough, verified.ReceivedThrough);
        Assert.Equal(Report.Gaps, verified.Gaps);
        Assert.Equal("site-b", GapReport.ClaimedReceiver(file));
        Assert.Equal([new MissingRange(3, 5), new MissingRange(17, 17), new MissingRange(41, long.MaxValue)], verified.Requested());
    }

    [Fact]
    public void ReportWithAlteredRanges_IsRefused()
    {
        var file = Report.Sign(TestKeys.SiteB);
        var text = Encoding.ASCII.GetString(file);
        var parts = text.Split('.');
        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        var altered = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace("[17,17]", "[17,39]", StringComparison.Ordinal)));
        var tampered = Encoding.ASCII.GetBytes($"{parts[0]}.{altered}.{parts[2]}");

        var failure = Assert.Throws<InvalidDataException>(() => GapReport.Verify(tampered, TestKeys.SiteB.PublicKeys, "site-a"));

        Assert.Contains("signature does not verify", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportSignedWithAnotherKey_IsRefused()
    {
        var forged = (Report with { Receiver = TestKeys.ForgedSiteA.NodeId, Sender = "site-b" }).Sign(TestKeys.ForgedSiteA);

        var failure = Assert.Throws<InvalidDataException>(() => GapReport.Verify(forged, TestKeys.SiteA.PublicKeys, "site-b"));

        Assert.Contains("signature does not verify", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportAddressedToAnotherSender_IsRefused()
    {
        var file = (Report with { Sender = "site-c" }).Sign(TestKeys.SiteB);

        var failure = Assert.Throws<InvalidDataException>(() => GapReport.Verify(file, TestKeys.SiteB.PublicKeys, "site-a"));

        Assert.Contains("asks node 'site-c'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportFromAnotherReceiver_IsRefused()
    {
        var file = (Report with { Receiver = "site-c" }).Sign(TestKeys.SiteC);

        var failure = Assert.Throws<InvalidDataException>(() => GapReport.Verify(file, TestKeys.SiteB.PublicKeys, "site-a"));

        Assert.Contains("from node 'site-c'", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a report")]
    [InlineData("e30.e30.e30")]
    public void SomethingElse_IsNotAGapReport(string text)
    {
        var failure = Assert.Throws<InvalidDataException>(() => GapReport.Verify(Encoding.ASCII.GetBytes(text), TestKeys.SiteB.PublicKeys, "site-a"));

        Assert.StartsWith("not a gap report", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SplitsWhatIsAskedIntoWhatIsKeptAndWhatWasForgotten()
    {
        var plan = ResendRequests.Plan(
            [new MissingRange(2, 6), new MissingRange(9, long.MaxValue)],
            [new global::Relay.Layer1.Channels.SequenceRange(4, 10)],
            last: 12);

        Assert.Equal([new MissingRange(4, 6), new MissingRange(9, 10)], plan.Queued);
        Assert.Equal([new MissingRange(2, 3), new MissingRange(11, 12)], plan.NoLongerKept);
    }
}
