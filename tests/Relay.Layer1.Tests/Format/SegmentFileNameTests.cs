using Relay.Layer1.Format;

namespace Relay.Layer1.Tests.Format;

public sealed class SegmentFileNameTests
{
    [Fact]
    public void CreatedName_ParsesBackToSenderRecipientAndNumber()
    {
        var name = SegmentFileName.Create("site-a", "site-b", 42);

        Assert.Matches("^site-a_site-b_0000000000000042_[0-9a-f]{8}\\.relay$", name);
        Assert.True(SegmentFileName.TryParse(name, out var sender, out var recipient, out var number));
        Assert.Equal(("site-a", "site-b", 42L), (sender, recipient, number));
        Assert.NotEqual(name, SegmentFileName.Create("site-a", "site-b", 42));
    }

    [Theory]
    [InlineData("readme.txt")]
    [InlineData("site-a_site-b_42_0123abcd.relay")]
    [InlineData("Site-A_site-b_0000000000000042_0123abcd.relay")]
    [InlineData("site-a_site-b_0000000000000042_0123ABCD.relay")]
    [InlineData("site-a_site-b_0000000000000042.relay")]
    [InlineData("site_a_site-b_0000000000000042_0123abcd.relay")]
    public void OtherNames_DoNotParse(string name) => Assert.False(SegmentFileName.TryParse(name, out _, out _, out _));

    [Fact]
    public void TemporaryNames_AreRecognisedAndMapBackToTheFinalName()
    {
        var name = SegmentFileName.Create("site-a", "site-b", 1);
        var temporary = SegmentFileName.TemporaryNameFor(name);

        Assert.True(SegmentFileName.IsTemporary(temporary));
        Assert.True(SegmentFileName.IsTemporary(".anything"));
        Assert.True(SegmentFileName.IsTemporary("anything.partial"));
        Assert.False(SegmentFileName.IsTemporary(name));
        Assert.Equal(name, SegmentFileName.FinalNameOf(temporary));
    }

    [Fact]
    public void InvalidNodeIds_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => SegmentFileName.Create("Site_A", "site-b", 1));
    }
}
