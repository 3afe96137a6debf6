using System.Text.RegularExpressions;

namespace Relay.Layer1.Identity;

/// <summary>
/// Node ids appear in file names that many nodes share, on file systems that may ignore case
/// (SMB): lowercase letters, digits and inner hyphens, 1–63 characters, like a DNS label.
/// <c>_</c> is the file-name separator and so never part of an id.
/// </summary>
public static partial class NodeId
{
    public const string Rule = "1-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit";

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    public static void Validate(string? id, string paramName)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"Node id '{id}' is invalid: {Rule}.", paramName);
        }
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
