using System.Globalization;
using System.Security.Cryptography;
using Relay.Layer1.Identity;

namespace Relay.Layer1.Format;

/// <summary>
/// Final names say sender and recipient, so nodes sharing a folder each take only their own files:
/// <c>{sender}_{recipient}_{number:D16}_{8 hex}.relay</c>. Writers use a temporary name first
/// (<c>.</c> + final name + <c>.partial</c>) and rename when the file is complete.
/// </summary>
public static class SegmentFileName
{
    public const string Extension = ".relay";
    public const string TemporarySuffix = ".partial";

    public static string Create(string sender, string recipient, long number)
    {
        NodeId.Validate(sender, nameof(sender));
        NodeId.Validate(recipient, nameof(recipient));
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        return string.Create(CultureInfo.InvariantCulture, $"{sender}_{recipient}_{number:D16}_{RandomNumberGenerator.GetHexString(8, lowercase: true)}{Extension}");
    }

    public static bool TryParse(string fileName, out string sender, out string recipient, out long number)
    {
        sender = recipient = "";
        number = 0;
        if (string.IsNullOrEmpty(fileName) || !fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = fileName[..^Extension.Length].Split('_');
        if (parts.Length != 4 || !NodeId.IsValid(parts[0]) || !NodeId.IsValid(parts[1])
            || parts[2].Length != 16 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out number)
            || parts[3].Length != 8 || !parts[3].All(char.IsAsciiHexDigitLower))
        {
            number = 0;
            return false;
        }

        sender = parts[0];
        recipient = parts[1];
        return true;
    }

    public static bool IsTemporary(string fileName) =>
        fileName.StartsWith('.') || fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    public static string TemporaryNameFor(string finalName) => "." + finalName + TemporarySuffix;

    /// <summary>The final name a temporary name stands for, or the name itself.</summary>
    public static string FinalNameOf(string fileName)
    {
        var name = fileName.StartsWith('.') ? fileName[1..] : fileName;
        return name.EndsWith(TemporarySuffix, StringComparison.Ordinal) ? name[..^TemporarySuffix.Length] : name;
    }
}
