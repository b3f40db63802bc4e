//! Statuses kept as text in the database and as enums everywhere else: one macro gives each
//! its database names, `ALL`, `as_str` and `parse`, so a typo in a status cannot compile.

/// Declares an enum whose variants map one to one onto database text values.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|s| s.as_str() == raw)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    text_enum! {
        pub enum Light { Red = "red", Green = "green" }
    }

    #[test]
    fn names_round_trip_and_unknown_values_are_refused() {
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Some(*light));
        }
        assert_eq!(Light::parse("blue"), None);
        assert_eq!(Light::parse("Red"), None, "database names are exact");
    }
}
