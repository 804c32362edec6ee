//! Themes: semantic colour slots, embedded presets, user theme files patching them.
use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

const DARK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/dark.yaml"));
const LIGHT: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/light.yaml"));
const HIGH_CONTRAST: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/high-contrast.yaml"));

/// The embedded theme names.
pub const PRESETS: [&str; 3] = ["dark", "light", "high-contrast"];

/// A meaning, not a colour: views ask for `Slot::Danger`, the theme says which colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Fg,
    Bg,
    Muted,
    Accent,
    Ok,
    Warn,
    Danger,
    Selection,
    Header,
    Border,
    Title,
}

const SLOTS: [(Slot, &str); 11] = [
    (Slot::Fg, "fg"),
    (Slot::Bg, "bg"),
    (Slot::Muted, "muted"),
    (Slot::Accent, "accent"),
    (Slot::Ok, "ok"),
    (Slot::Warn, "warn"),
    (Slot::Danger, "danger"),
    (Slot::Selection, "selection"),
    (Slot::Header, "header"),
    (Slot::Border, "border"),
    (Slot::Title, "title"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    colors: BTreeMap<Slot, Color>,
    /// NO_COLOR: styles carry modifiers only.
    pub no_color: bool,
}

impl Theme {
    /// An embedded preset by name (`dark`, `light`, `high-contrast`).
    pub fn preset(name: &str) -> Option<Theme> {
        let text = preset_text(name)?;
        parse_onto(None, text, name).ok()
    }

    /// The colour of a slot (Reset when unset).
    pub fn color(&self, slot: Slot) -> Color {
        if self.no_color {
            return Color::Reset;
        }
        self.colors.get(&slot).copied().unwrap_or(Color::Reset)
    }

    /// Foreground style for a slot; with NO_COLOR, plain.
    pub fn fg(&self, slot: Slot) -> Style {
        if self.no_color {
            return Style::default();
        }
        Style::default().fg(self.color(slot))
    }

    /// Base style for the whole screen.
    pub fn base(&self) -> Style {
        if self.no_color {
            return Style::default();
        }
        Style::default().fg(self.color(Slot::Fg)).bg(self.color(Slot::Bg))
    }

    /// Selected row: reversed with NO_COLOR, else the selection background.
    pub fn selected(&self) -> Style {
        if self.no_color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().bg(self.color(Slot::Selection)).add_modifier(Modifier::BOLD)
    }

    /// Danger text (failed rollouts, crash loops): bold so it shows without colour too.
    pub fn danger(&self) -> Style {
        self.fg(Slot::Danger).add_modifier(Modifier::BOLD)
    }

    pub fn with_no_color(mut self, no_color: bool) -> Theme {
        self.no_color = no_color;
        self
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::preset("dark").unwrap_or(Theme { name: "dark".into(), colors: BTreeMap::new(), no_color: false })
    }
}

fn preset_text(name: &str) -> Option<&'static str> {
    match name {
        "dark" => Some(DARK),
        "light" => Some(LIGHT),
        "high-contrast" => Some(HIGH_CONTRAST),
        _ => None,
    }
}

/// Parse a theme file's slots onto `base` (or nothing). Unknown slots and bad colours are errors.
pub fn parse_onto(base: Option<&Theme>, text: &str, name: &str) -> Result<Theme, String> {
    let raw: Option<BTreeMap<String, String>> = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
    let mut colors = base.map(|b| b.colors.clone()).unwrap_or_default();
    for (key, value) in raw.unwrap_or_default() {
        let slot = SLOTS
            .iter()
            .find(|(_, n)| *n == key)
            .map(|(s, _)| *s)
            .ok_or_else(|| format!("unknown slot `{key}` (known: {})", slot_names()))?;
        let color: Color = value.parse().map_err(|_| format!("slot `{key}`: `{value}` is not a colour (use a name, #rrggbb or 0-255)"))?;
        colors.insert(slot, color);
    }
    Ok(Theme { name: name.to_string(), colors, no_color: false })
}

fn slot_names() -> String {
    SLOTS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

/// Resolve `name_or_path`: a preset, `<config_dir>/themes/NAME.yaml`, or a file path.
/// A user file patches the preset of the same name, else `dark`. Problems → warnings + dark.
pub fn load(name_or_path: &str, config_dir: Option<&Path>, no_color: bool) -> (Theme, Vec<String>) {
    let mut warnings = Vec::new();
    let user_file = config_dir
        .map(|d| d.join("themes").join(format!("{name_or_path}.yaml")))
        .filter(|p| p.is_file())
        .or_else(|| Some(Path::new(name_or_path).to_path_buf()).filter(|p| p.is_file()));
    let theme = match (user_file, Theme::preset(name_or_path)) {
        (Some(path), preset) => {
            let base = preset.unwrap_or_default();
            let loaded = std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|t| parse_onto(Some(&base), &t, name_or_path));
            loaded.unwrap_or_else(|e| {
                warnings.push(format!("theme {}: {e}; using the built-in `{}` theme", path.display(), base.name));
                base
            })
        }
        (None, Some(preset)) => preset,
        (None, None) => {
            warnings.push(format!("unknown theme `{name_or_path}`: not a built-in ({}) nor a file; using `dark`", PRESETS.join(", ")));
            Theme::default()
        }
    };
    (theme.with_no_color(no_color), warnings)
}
