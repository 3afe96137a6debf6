using System.Globalization;
using System.Text.RegularExpressions;

namespace Relay.Host.Cli;

/// <summary>
/// Reads the durations and sizes of link settings as people write them: <c>250ms</c>, <c>10s</c>,
/// <c>5m</c>, <c>1h</c>; <c>500</c>, <c>64KiB</c>, <c>20MB</c>, <c>1GiB</c> (a bandwidth may end in <c>/s</c>).
/// </summary>
internal static partial class LinkQuantities
{
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        duration = match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "m" or "min" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromSeconds(value),
        };
        return true;
    }

    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var trimmed = text.Trim();
        if (trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
        {
            trimmed = trimmed[..^2];
        }

        var match = SizePattern().Match(trimmed);
        if (!match.Success || !double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        double factor = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KIB" => 1 << 10,
            "MIB" => 1 << 20,
            "GIB" => 1 << 30,
            _ => 1,
        };
        var total = value * factor;
        if (total > long.MaxValue)
        {
            return false;
        }

        bytes = (long)total;
        return true;
    }

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)(?<unit>ms|s|m|min|h)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)\s*(?<unit>[KMG]i?B|B)?$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
