//! The run list's view as its address holds it: `/?q=…&sort=…&cols=…&group=…&varying=1&page=N`. Reload, the
//! back button and a pasted link all show the same view, because nothing of it lives anywhere else.

use leptos_router::hooks::use_navigate;
use leptos_router::location::Url;
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

use crate::model::SavedView;

/// Goes to a view of the list, keeping the scroll position (each change is a history entry: back undoes it).
pub fn goer() -> impl Fn(&ListView) + Clone + 'static {
    let navigate = use_navigate();
    move |view: &ListView| {
        navigate(
            &view.href(),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListView {
    /// The query (docs/query.md).
    pub q: String,
    /// Comma-separated fields, each descending when it starts with `-`.
    pub sort: String,
    /// Comma-separated fields shown as columns.
    pub cols: String,
    /// The field runs are grouped by.
    pub group: String,
    /// Whether columns whose value is the same in every shown run are hidden.
    pub varying: bool,
    /// Counted from 1.
    pub page: usize,
}

impl ListView {
    pub fn from_params(params: &ParamsMap) -> Self {
        let text = |name: &str| params.get(name).unwrap_or_default();
        Self {
            q: text("q"),
            sort: text("sort"),
            cols: text("cols"),
            group: text("group"),
            varying: params.get("varying").is_some_and(|v| v == "1"),
            page: params
                .get("page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1),
        }
    }

    /// The address of this view.
    pub fn href(&self) -> String {
        let mut params = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("sort", &self.sort),
            ("cols", &self.cols),
            ("group", &self.group),
        ] {
            if !value.is_empty() {
                params.push(format!("{name}={}", Url::escape(value)));
            }
        }
        if self.varying {
            params.push("varying=1".into());
        }
        if self.page > 1 {
            params.push(format!("page={}", self.page));
        }
        if params.is_empty() {
            return "/".into();
        }
        format!("/?{}", params.join("&"))
    }

    /// A saved view, on its first page.
    pub fn of_saved(saved: &SavedView) -> Self {
        Self {
            q: saved.q.clone(),
            sort: saved.sort.clone(),
            cols: saved.cols.clone(),
            group: saved.group.clone(),
            varying: saved.varying,
            page: 1,
        }
    }

    /// This view, to save under `name`.
    pub fn to_saved(&self, name: String) -> SavedView {
        SavedView {
            id: String::new(),
            name,
            q: self.q.clone(),
            sort: self.sort.clone(),
            cols: self.cols.clone(),
            group: self.group.clone(),
            varying: self.varying,
        }
    }

    /// The same view on another page.
    pub fn at_page(&self, page: usize) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// Whether the view is every run, newest first, with no columns or groups.
    pub fn is_plain(&self) -> bool {
        self.q.is_empty() && self.sort.is_empty() && self.cols.is_empty() && self.group.is_empty()
    }

    /// The fields shown as columns.
    pub fn columns(&self) -> Vec<String> {
        split(&self.cols)
    }

    /// The view with `field` shown as a column or not, from the first page.
    pub fn toggle_column(&self, field: &str) -> Self {
        let mut cols = self.columns();
        match cols.iter().position(|c| c == field) {
            Some(i) => {
                cols.remove(i);
            }
            None => cols.push(field.to_owned()),
        }
        Self {
            cols: cols.join(","),
            page: 1,
            ..self.clone()
        }
    }

    /// Where `field` is in the sort: its rank from 1 and whether it is descending.
    pub fn sorted_by(&self, field: &str) -> Option<(usize, bool)> {
        split(&self.sort).iter().enumerate().find_map(|(i, key)| {
            let (descending, name) = match key.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, key.as_str()),
            };
            (name == field).then_some((i + 1, descending))
        })
    }

    /// The view after a click on `field`'s header: sorted by it alone (ascending, then descending on a second
    /// click); with `add` (shift-click), as one more key of the sort, or that key's direction turned.
    pub fn click_sort(&self, field: &str, add: bool) -> Self {
        let keys = split(&self.sort);
        let sort = match (self.sorted_by(field), add) {
            (Some((rank, descending)), true) => {
                let mut keys = keys;
                keys[rank - 1] = if descending {
                    field.to_owned()
                } else {
                    format!("-{field}")
                };
                keys.join(",")
            }
            (None, true) if !keys.is_empty() => format!("{},{field}", keys.join(",")),
            (Some((1, false)), false) if keys.len() == 1 => format!("-{field}"),
            _ => field.to_owned(),
        };
        Self {
            sort,
            page: 1,
            ..self.clone()
        }
    }
}

fn split(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sort: &str) -> ListView {
        ListView {
            sort: sort.into(),
            page: 3,
            ..ListView::default()
        }
    }

    #[test]
    fn header_clicks_sort_by_one_key_and_shift_clicks_add_keys() {
        assert_eq!(view("").click_sort("meta.dt", false).sort, "meta.dt");
        assert_eq!(
            view("meta.dt").click_sort("meta.dt", false).sort,
            "-meta.dt"
        );
        assert_eq!(
            view("-meta.dt").click_sort("meta.dt", false).sort,
            "meta.dt"
        );
        assert_eq!(
            view("meta.dt,name").click_sort("meta.dt", false).sort,
            "meta.dt"
        );
        assert_eq!(
            view("meta.dt").click_sort("name", true).sort,
            "meta.dt,name"
        );
        assert_eq!(
            view("meta.dt,name").click_sort("name", true).sort,
            "meta.dt,-name"
        );
        assert_eq!(
            view("meta.dt,-name").click_sort("name", true).sort,
            "meta.dt,name"
        );
        assert_eq!(view("").click_sort("name", true).sort, "name");
        assert_eq!(
            view("a").click_sort("b", false).page,
            1,
            "a new order starts at the first page"
        );
        assert_eq!(view("a,-b").sorted_by("b"), Some((2, true)));
    }

    #[test]
    fn columns_toggle_in_order() {
        let v = ListView::default()
            .toggle_column("meta.dt")
            .toggle_column("results");
        assert_eq!(v.cols, "meta.dt,results");
        assert_eq!(v.toggle_column("meta.dt").cols, "results");
    }

    // `Url::escape` calls the browser's encodeURIComponent in the hydrate build, which a native test cannot.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_address_holds_every_part_of_the_view() {
        assert_eq!(ListView::default().href(), "/");
        assert_eq!(ListView::default().at_page(3).href(), "/?page=3");
        let v = ListView {
            q: "meta.dt < 1e-3 & x".into(),
            sort: "-name".into(),
            cols: "meta.dt,meta.solver".into(),
            group: "meta.solver".into(),
            varying: true,
            page: 2,
        };
        let href = v.href();
        let params: Vec<(String, String)> = href
            .strip_prefix("/?")
            .expect("parameters")
            .split('&')
            .map(|p| {
                let (key, value) = p.split_once('=').expect("key=value");
                (key.to_owned(), Url::unescape(value))
            })
            .collect();
        let expected = [
            ("q", "meta.dt < 1e-3 & x"),
            ("sort", "-name"),
            ("cols", "meta.dt,meta.solver"),
            ("group", "meta.solver"),
            ("varying", "1"),
            ("page", "2"),
        ];
        assert_eq!(
            params,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
    }
}
