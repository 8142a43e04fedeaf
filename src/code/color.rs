//! The triangular 6.6.6 color code (Bombin and Martin-Delgado, PRL 97, 180501 (2006)).
//!
//! Construction: take the triangular lattice with integer coordinates (i, j) (plane point
//! i + j/2, j·√3/2) and the big triangle i, j >= 0, i + j <= L with L = 3(d-1)/2. The sites with
//! i - j ≡ 1 (mod 3) are face centres; every other site is a data qubit, and those form a
//! honeycomb. A face is its centre's (up to six) neighbours inside the triangle: weight 6 in the
//! bulk, weight 4 when the centre lies on a side. Corners are never centres, so each side of the
//! triangle carries (d-1)/2 weight-4 faces, all of one colour, and d data qubits; a side is a
//! weight-d logical. Face colour is i mod 3, a proper 3-colouring of the centres.
//!
//! For d = 3 this is Steane's [[7,1,3]] code.

use super::StabilizerCode;
use serde::{Deserialize, Serialize};

/// Face colour. The index is Chromobius's colour index (red 0, green 1, blue 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Red,
    Green,
    Blue,
}

impl Color {
    pub const ALL: [Color; 3] = [Color::Red, Color::Green, Color::Blue];

    /// 0, 1, 2 for red, green, blue.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        ["red", "green", "blue"][self.index()]
    }
}

/// The six triangular-lattice neighbour offsets, counter-clockwise from +i.
pub const NEIGHBOURS: [(i64, i64); 6] = [(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)];

/// One face of the color code: its centre, colour and data qubits (counter-clockwise from the
/// +i direction, only those inside the triangle).
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    pub center: (i64, i64),
    pub color: Color,
    pub qubits: Vec<usize>,
}

/// The geometry of a triangular 6.6.6 color code of odd distance d >= 3.
#[derive(Clone, Debug, PartialEq)]
pub struct Color666 {
    pub distance: usize,
    /// Lattice site (i, j) of each data qubit, sorted by (j, i).
    pub sites: Vec<(i64, i64)>,
    /// Faces sorted by centre (j, i).
    pub faces: Vec<Face>,
}

/// Plane point of lattice site (i, j) (unit spacing between neighbouring sites).
pub fn plane(site: (i64, i64)) -> [f64; 2] {
    let (i, j) = (site.0 as f64, site.1 as f64);
    [i + j / 2.0, j * 3f64.sqrt() / 2.0]
}

impl Color666 {
    /// Builds the code geometry. Panics unless d is odd and at least 3.
    pub fn new(d: usize) -> Color666 {
        assert!(
            d >= 3 && d % 2 == 1,
            "the 6.6.6 color code needs odd d >= 3"
        );
        let side = 3 * (d as i64 - 1) / 2;
        let is_center = |i: i64, j: i64| (i - j).rem_euclid(3) == 1;
        let inside = |i: i64, j: i64| i >= 0 && j >= 0 && i + j <= side;
        let mut sites = Vec::new();
        let mut centers = Vec::new();
        for j in 0..=side {
            for i in 0..=side - j {
                if is_center(i, j) {
                    centers.push((i, j));
                } else {
                    sites.push((i, j));
                }
            }
        }
        let index_of = |s: (i64, i64)| sites.binary_search_by_key(&(s.1, s.0), |&(i, j)| (j, i));
        let faces = centers
            .iter()
            .map(|&(ci, cj)| Face {
                center: (ci, cj),
                color: Color::ALL[ci.rem_euclid(3) as usize],
                qubits: NEIGHBOURS
                    .iter()
                    .map(|&(di, dj)| (ci + di, cj + dj))
                    .filter(|&(i, j)| inside(i, j))
                    .map(|s| index_of(s).expect("neighbours of a centre are data sites"))
                    .collect(),
            })
            .collect();
        Color666 {
            distance: d,
            sites,
            faces,
        }
    }

    /// The data qubits on the side j = 0, a weight-d logical operator (X and Z alike).
    pub fn logical_support(&self) -> Vec<usize> {
        (0..self.sites.len())
            .filter(|&q| self.sites[q].1 == 0)
            .collect()
    }

    /// The code as a generic CSS code: every face carries one X and one Z stabilizer.
    pub fn code(&self) -> StabilizerCode {
        let supports: Vec<Vec<usize>> = self.faces.iter().map(|f| f.qubits.clone()).collect();
        let colors: Vec<Color> = self.faces.iter().map(|f| f.color).collect();
        StabilizerCode {
            name: format!("color666_d{}", self.distance),
            num_qubits: self.sites.len(),
            x_stabilizers: supports.clone(),
            z_stabilizers: supports,
            logical_x: vec![self.logical_support()],
            logical_z: vec![self.logical_support()],
            coords: Some(self.sites.iter().map(|&s| lattice_coords(s)).collect()),
            x_colors: Some(colors.clone()),
            z_colors: Some(colors),
        }
    }
}

/// Coordinates written for a site: (2i + j, j), integers so that files stay readable; the plane
/// point is (x/2, y·√3/2).
pub fn lattice_coords(site: (i64, i64)) -> [f64; 2] {
    [(2 * site.0 + site.1) as f64, site.1 as f64]
}

/// The triangular 6.6.6 color code of odd distance d >= 3: (3d²+1)/4 qubits, one logical
/// qubit, weight-d logical X and Z along the side j = 0.
pub fn color666(d: usize) -> StabilizerCode {
    Color666::new(d).code()
}
