using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>C <c>strftime</c> as Python calls it on Linux (English names; <c>%-d</c> drops padding).</summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset time, string format)
    {
        var builder = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                builder.Append(format[i]);
                continue;
            }

            var unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            if (unpadded)
            {
                i++;
            }

            var spec = format[++i];
            string Number(int value, int width) => unpadded ? value.ToString(culture) : value.ToString(culture).PadLeft(width, '0');
            builder.Append(spec switch
            {
                'a' => time.ToString("ddd", culture),
                'A' => time.ToString("dddd", culture),
                'b' or 'h' => time.ToString("MMM", culture),
                'B' => time.ToString("MMMM", culture),
                'd' => Number(time.Day, 2),
                'e' => unpadded ? time.Day.ToString(culture) : time.Day.ToString(culture).PadLeft(2, ' '),
                'm' => Number(time.Month, 2),
                'y' => Number(time.Year % 100, 2),
                'Y' => time.Year.ToString(culture),
                'H' => Number(time.Hour, 2),
                'I' => Number(time.Hour % 12 == 0 ? 12 : time.Hour % 12, 2),
                'M' => Number(time.Minute, 2),
                'S' => Number(time.Second, 2),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => Number(time.DayOfYear, 3),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", culture),
                'z' => (time.Offset < TimeSpan.Zero ? "-" : "+") + time.Offset.ToString("hhmm", culture),
                'Z' => time.Offset == TimeSpan.Zero ? "UTC" : string.Empty,
                'F' => time.ToString("yyyy-MM-dd", culture),
                'T' => time.ToString("HH:mm:ss", culture),
                'D' => time.ToString("MM/dd/yy", culture),
                'R' => time.ToString("HH:mm", culture),
                'c' => time.ToString("ddd MMM ", culture) + time.Day.ToString(culture).PadLeft(2, ' ') + time.ToString(" HH:mm:ss yyyy", culture),
                'x' => time.ToString("MM/dd/yy", culture),
                'X' => time.ToString("HH:mm:ss", culture),
                'u' => ((int)time.DayOfWeek == 0 ? 7 : (int)time.DayOfWeek).ToString(culture),
                'w' => ((int)time.DayOfWeek).ToString(culture),
                'n' => "\n",
                't' => "\t",
                '%' => "%",
                _ => "%" + spec,
            });
        }

        return builder.ToString();
    }
}
