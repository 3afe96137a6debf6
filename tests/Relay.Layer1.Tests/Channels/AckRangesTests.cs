using Relay.Layer1.Channels;

namespace Relay.Layer1.Tests.Channels;

public sealed class AckRangesTests
{
    [Fact]
    public void Subtract_KeepsOnlyWhatTheSecondListLacks()
    {
        SequenceRange[] ranges = [new(1, 10), new(20, 30), new(40, 40)];
        SequenceRange[] except = [new(3, 4), new(8, 22), new(29, 45)];

        var left = AckRanges.Subtract(ranges, except);

        Assert.Equal([new SequenceRange(1, 2), new SequenceRange(5, 7), new SequenceRange(23, 28)], left);
    }

    [Fact]
    public void Subtract_OfNothing_IsTheRangesThemselves()
    {
        SequenceRange[] ranges = [new(5, 9), new(12, 12)];

        Assert.Equal(ranges, AckRanges.Subtract(ranges, []));
        Assert.Empty(AckRanges.Subtract([], ranges));
    }

    [Fact]
    public void Subtract_OfACoveringRange_IsEmpty()
    {
        Assert.Empty(AckRanges.Subtract([new SequenceRange(5, 9), new SequenceRange(11, 12)], [new SequenceRange(1, 20)]));
    }
}
