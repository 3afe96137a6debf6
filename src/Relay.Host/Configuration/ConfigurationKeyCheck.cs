using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Relay.Host.Configuration;

/// <summary>
/// Finds keys under <c>Relay</c> that no option binds, so a misspelled setting stops start-up instead
/// of being silently ignored. The known keys are the options classes' own properties, found by
/// reflection, so a new option is known as soon as it exists.
/// </summary>
internal static class ConfigurationKeyCheck
{
    // Set by the host from Relay:Node:StateDirectory; a value in the file would be overwritten.
    private static readonly Dictionary<string, string> DerivedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Relay:Exchange:StateDirectory"] = "is taken from Relay:Node:StateDirectory; set that instead",
    };

    /// <summary>One sentence per unknown key, naming where it came from and the likeliest intended key.</summary>
    public static List<string> FindUnknownKeys(IConfigurationRoot configuration, string configFile)
    {
        var failures = new List<string>();
        Check(configuration, configuration.GetSection(RelayOptions.SectionName), typeof(RelayOptions), configFile, failures);
        return failures;
    }

    private static void Check(IConfigurationRoot root, IConfigurationSection section, Type type, string configFile, List<string> failures)
    {
        var itemType = ItemTypeOf(type);
        foreach (var child in section.GetChildren())
        {
            if (DerivedKeys.TryGetValue(child.Path, out var why))
            {
                failures.Add($"{child.Path} {why} ({SourceOf(root, child, configFile)}).");
                continue;
            }

            if (itemType is not null)
            {
                if (!int.TryParse(child.Key, out _))
                {
                    failures.Add($"{child.Path} is not a setting: {section.Path} is a list, its items are numbered ({SourceOf(root, child, configFile)}).");
                    continue;
                }

                CheckValue(root, child, itemType, configFile, failures);
                continue;
            }

            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = KnownNames(type);
                var suggestion = Closest(child.Key, known);
                var hint = suggestion is null ? $"the settings of {section.Path} are {string.Join(", ", known)}" : $"did you mean {section.Path}:{suggestion}?";
                failures.Add($"{child.Path} is not a known setting ({SourceOf(root, child, configFile)}); {hint}");
                continue;
            }

            CheckValue(root, child, property.PropertyType, configFile, failures);
        }
    }

    private static void CheckValue(IConfigurationRoot root, IConfigurationSection section, Type type, string configFile, List<string> failures)
    {
        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (valueType.IsEnum && section.Value is { } value
            && !Enum.GetNames(valueType).Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            // The binder leaves a list item's unparsable value at its default without a word: say so here.
            failures.Add($"{section.Path} '{value}' is not one of {string.Join(", ", Enum.GetNames(valueType))} ({SourceOf(root, section, configFile)}).");
            return;
        }

        if (IsScalar(valueType))
        {
            return;
        }

        Check(root, section, valueType, configFile, failures);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    private static Type? ItemTypeOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
        {
            return type.GetGenericArguments()[0];
        }

        var list = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>));
        return list?.GetGenericArguments()[0];
    }

    private static List<string> KnownNames(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static string SourceOf(IConfigurationRoot root, IConfigurationSection section, string configFile)
    {
        // The provider that supplies the key (or the first key beneath it); later providers win, as in binding.
        var leaf = Leaves(section).FirstOrDefault() ?? section.Path;
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(leaf, out _))
            {
                return provider is EnvironmentVariablesConfigurationProvider
                    ? "from the environment variable " + leaf.Replace(":", "__", StringComparison.Ordinal)
                    : "in " + configFile;
            }
        }

        return "in " + configFile;
    }

    private static IEnumerable<string> Leaves(IConfigurationSection section)
    {
        if (section.Value is not null)
        {
            yield return section.Path;
        }

        foreach (var child in section.GetChildren())
        {
            foreach (var leaf in Leaves(child))
            {
                yield return leaf;
            }
        }
    }

    private static string? Closest(string key, List<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // Close enough to be a slip of the keyboard, not another word.
        return best is not null && bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
