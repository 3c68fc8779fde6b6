"""Name tables for the demo generator: common Bugis and Indonesian names, invented combinations.

Village names of Liliriaja and Marioriawa are the real ones (public lists); the others are
invented from Bugis words. Group names follow the usual "Kelompok Tani <name>" pattern.
"""

from __future__ import annotations

MALE: tuple[str, ...] = (
    "Muhammad", "Abdul", "Ahmad", "Andi", "Baso", "Syamsul", "Hasan", "Husain", "Jamaluddin", "Kamaruddin",
    "Lukman", "Mappa", "Nasrun", "Rahman", "Rusli", "Saharuddin", "Sudirman", "Syahrir", "Tahir", "Usman",
    "Arifin", "Bakri", "Darwis", "Hamzah", "Idris", "Junaidi", "Muslimin", "Nurdin", "Ridwan", "Sultan",
    "Amiruddin", "Burhanuddin", "Firdaus", "Haris", "Ilham", "Mansyur", "Rasyid", "Salam", "Yusuf", "Zainal",
)
FEMALE: tuple[str, ...] = (
    "Sitti", "Hasnah", "Nurhayati", "Hasma", "Rosmini", "Jumriah", "Megawati", "Nurlina", "Rahmawati", "Sumarni",
    "Besse", "Darmawati", "Fatimah", "Hadijah", "Ira", "Kasmawati", "Marlina", "Nuraeni", "Suriani", "Wahidah",
)
FAMILY: tuple[str, ...] = (
    "Tahir", "Latif", "Rauf", "Kadir", "Hamid", "Patta", "Sulaiman", "Mallombasi", "Rahim", "Beddu",
    "Ladu", "Pawelloi", "Sanusi", "Mustafa", "Daeng", "Malik", "Syarif", "Umar", "Ambo", "Hakim",
    "Massa", "Baharuddin", "Jafar", "Saleh", "Yunus", "Basri", "Arsyad", "Anwar", "Halim", "Ramli",
)
REAL_VILLAGES: dict[str, tuple[str, ...]] = {
    "731202": ("Appanang", "Galung", "Jennae", "Jampu", "Barang", "Timusu", "Rompegading", "Pattojo"),
    "731205": ("Attang Salo", "Batu-Batu", "Bulue", "Kaca", "Laringgi", "Limpomajang", "Manorang Salo",
               "Panincong", "Patampanua", "Tellulimpoe"),
}
VILLAGE_STEMS: tuple[str, ...] = (
    "Bila", "Tinco", "Lompulle", "Watu", "Labessi", "Kessing", "Bulu", "Salo", "Tanete", "Lapajung",
    "Lemba", "Mattabulu", "Leworeng", "Paroto", "Ujung", "Pising", "Gattareng", "Tellang", "Sering", "Kampiri",
)
VILLAGE_SUFFIXES: tuple[str, ...] = ("", " Riaja", " Rilau", " Baru", " Timur")
GROUP_WORDS: tuple[str, ...] = (
    "Sipakainge", "Sipatuo", "Tunas Harapan", "Sumber Rejeki", "Padi Makmur", "Tani Jaya", "Mappasiame",
    "Sipurennu", "Harapan Baru", "Bunga Padi", "Mattiro Deceng", "Resopa Temmangingngi", "Sejahtera",
    "Maju Bersama", "Lestari", "Mekar Sari",
)
OUTLET_WORDS: tuple[str, ...] = ("Tani Makmur", "Subur", "Sinar Tani", "Berkah Tani", "Karya Tani", "Mitra Tani", "Panen Raya")
ROMAN: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")
