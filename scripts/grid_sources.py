"""The sourced constants that ``build_grid_intensity.py`` applies to codecarbon's data.

Each figure or mapping carries its source beside it: the world average and its year, Google
Cloud's region data year, the documented locations of AWS and Azure regions (and the grid zone
each is placed on), the fossil-fuel factors codecarbon applies to Canadian provinces, and the unit
conversions. Kept apart from the build logic so a reviewer can check every figure in one place.
"""

from __future__ import annotations

#: Grams per international avoirdupois pound: exact by definition (International Yard and Pound
#: Agreement, 1959: 1 lb = 0.45359237 kg).
G_PER_LB = 453.59237

#: codecarbon's world average: IEA, Global Energy & CO2 Status Report 2019, which reports the
#: world's average CO2 intensity of electricity generation for 2018 (475 gCO2/kWh). The JSON gives
#: the figure and the report's URL but no data year, so the year is pinned here together with the
#: figure it belongs to; the build fails if codecarbon changes either.
WORLD_AVERAGE_G_PER_KWH = 475.0
WORLD_AVERAGE_YEAR = 2018
WORLD_AVERAGE_SOURCE_URL = (
    "https://www.iea.org/reports/global-energy-co2-status-report-2019/emissions"
)

#: impact.csv names no data year for its Google Cloud figures. They equal, region for region,
#: Google's "Grid carbon intensity (gCO2eq/kWh)" for 2023 (GoogleCloudPlatform/region-carbon-info,
#: data/yearly/2023.csv; compared by hand when this script was written). A few of those 2023
#: values are checked on every build so that a refreshed impact.csv cannot keep a stale year.
GCP_DATA_YEAR = 2023
GCP_YEAR_FINGERPRINT = {"us-central1": 430.0, "europe-west1": 122.0, "northamerica-northeast1": 2.0}
GCP_SOURCE_URL = "https://cloud.google.com/sustainability/region-carbon"

#: Region ids misspelt in codecarbon's impact.csv → the provider's real id (the misspelling is
#: kept as an alias).
GCP_REGION_FIXES = {"me-cenrtal1": "me-central1"}

#: Google Cloud region → the grid zone it sits on. The most specific zone in this table that
#: contains the region's location (impact.csv's city/state): a US state, Canadian province,
#: Chinese province or Nordic bidding zone where the country is split, else the country.
#: asia-east2 (Hong Kong) is listed under CHN in impact.csv but Hong Kong has its own grid and
#: its own row (HKG).
GCP_GRID_ZONES = {
    "africa-south1": "ZAF", "asia-east1": "TWN", "asia-east2": "HKG", "asia-northeast1": "JPN",
    "asia-northeast2": "JPN", "asia-northeast3": "KOR", "asia-south1": "IND", "asia-south2": "IND",
    "asia-southeast1": "SGP", "asia-southeast2": "IDN", "australia-southeast1": "AUS",
    "australia-southeast2": "AUS", "europe-central2": "POL", "europe-north1": "FIN",
    "europe-southwest1": "ESP", "europe-west1": "BEL", "europe-west2": "GBR", "europe-west3": "DEU",
    "europe-west4": "NLD", "europe-west6": "CHE", "europe-west8": "ITA", "europe-west9": "FRA",
    "europe-west10": "DEU", "europe-west12": "ITA", "me-central1": "QAT", "me-central2": "SAU",
    "me-west1": "ISR", "northamerica-northeast1": "CA-QC", "northamerica-northeast2": "CA-ON",
    "southamerica-east1": "BRA", "southamerica-west1": "CHL",
    "us-central1": "US-IA",  # Council Bluffs, Iowa
    "us-east1": "US-SC",  # Moncks Corner, South Carolina
    "us-east4": "US-VA",  # Ashburn, Northern Virginia
    "us-east5": "US-OH",  # Columbus, Ohio
    "us-south1": "US-TX",  # Dallas, Texas
    "us-west1": "US-OR",  # The Dalles, Oregon
    "us-west2": "US-CA",  # Los Angeles, California
    "us-west3": "US-UT",  # Salt Lake City, Utah
    "us-west4": "US-NV",  # Las Vegas, Nevada
}
GCP_COUNTRY_OVERRIDES = {"asia-east2": "HKG"}

#: AWS and Azure publish no per-region grid intensity (codecarbon says as much and falls back to
#: the country). Region → (location as the provider documents it, grid zone), by the same rule
#: as GCP_GRID_ZONES. Locations: AWS "Regions and Availability Zones" documentation and
#: Microsoft Learn "Azure regions list" (physical location column).
AWS_LOCATION_SOURCE = (
    "AWS Regions and Availability Zones documentation (docs.aws.amazon.com/global-infrastructure)"
)
AWS_REGIONS = {
    "us-east-1": ("US East, N. Virginia", "US-VA"),
    "us-east-2": ("US East, Ohio", "US-OH"),
    "us-west-1": ("US West, N. California", "US-CA"),
    "us-west-2": ("US West, Oregon", "US-OR"),
    "ca-central-1": ("Canada Central, Montreal", "CA-QC"),
    "ca-west-1": ("Canada West, Calgary", "CA-AB"),
    "sa-east-1": ("South America, Sao Paulo", "BRA"),
    "eu-west-1": ("Europe, Ireland", "IRL"),
    "eu-west-2": ("Europe, London", "GBR"),
    "eu-west-3": ("Europe, Paris", "FRA"),
    "eu-central-1": ("Europe, Frankfurt", "DEU"),
    "eu-central-2": ("Europe, Zurich", "CHE"),
    "eu-north-1": ("Europe, Stockholm", "SE3"),
    "eu-south-1": ("Europe, Milan", "ITA"),
    "eu-south-2": ("Europe, Spain (Aragon)", "ESP"),
    "af-south-1": ("Africa, Cape Town", "ZAF"),
    "me-south-1": ("Middle East, Bahrain", "BHR"),
    "me-central-1": ("Middle East, UAE", "ARE"),
    "il-central-1": ("Israel, Tel Aviv", "ISR"),
    "ap-east-1": ("Asia Pacific, Hong Kong", "HKG"),
    "ap-south-1": ("Asia Pacific, Mumbai", "IND"),
    "ap-south-2": ("Asia Pacific, Hyderabad", "IND"),
    "ap-northeast-1": ("Asia Pacific, Tokyo", "JPN"),
    "ap-northeast-2": ("Asia Pacific, Seoul", "KOR"),
    "ap-northeast-3": ("Asia Pacific, Osaka", "JPN"),
    "ap-southeast-1": ("Asia Pacific, Singapore", "SGP"),
    "ap-southeast-2": ("Asia Pacific, Sydney", "AUS"),
    "ap-southeast-3": ("Asia Pacific, Jakarta", "IDN"),
    "ap-southeast-4": ("Asia Pacific, Melbourne", "AUS"),
    "cn-north-1": ("China, Beijing", "CN-BJ"),
    "cn-northwest-1": ("China, Ningxia", "CN-NX"),
}
AZURE_LOCATION_SOURCE = (
    "Microsoft Learn, Azure regions list (learn.microsoft.com/azure/reliability/regions-list)"
)
AZURE_REGIONS = {
    "eastus": ("East US, Virginia", "US-VA"),
    "eastus2": ("East US 2, Virginia", "US-VA"),
    "centralus": ("Central US, Iowa", "US-IA"),
    "northcentralus": ("North Central US, Illinois", "US-IL"),
    "southcentralus": ("South Central US, Texas", "US-TX"),
    "westus": ("West US, California", "US-CA"),
    "westus2": ("West US 2, Washington", "US-WA"),
    "westus3": ("West US 3, Arizona", "US-AZ"),
    "westcentralus": ("West Central US, Wyoming", "US-WY"),
    "canadacentral": ("Canada Central, Toronto", "CA-ON"),
    "canadaeast": ("Canada East, Quebec City", "CA-QC"),
    "brazilsouth": ("Brazil South, Sao Paulo State", "BRA"),
    "northeurope": ("North Europe, Ireland", "IRL"),
    "westeurope": ("West Europe, Netherlands", "NLD"),
    "uksouth": ("UK South, London", "GBR"),
    "ukwest": ("UK West, Cardiff", "GBR"),
    "francecentral": ("France Central, Paris", "FRA"),
    "germanywestcentral": ("Germany West Central, Frankfurt", "DEU"),
    "switzerlandnorth": ("Switzerland North, Zurich", "CHE"),
    "norwayeast": ("Norway East, Oslo", "NO1"),
    "swedencentral": ("Sweden Central, Gavle", "SWE"),  # bidding zone not stated: country
    "polandcentral": ("Poland Central, Warsaw", "POL"),
    "italynorth": ("Italy North, Milan", "ITA"),
    "spaincentral": ("Spain Central, Madrid", "ESP"),
    "eastasia": ("East Asia, Hong Kong", "HKG"),
    "southeastasia": ("Southeast Asia, Singapore", "SGP"),
    "japaneast": ("Japan East, Tokyo", "JPN"),
    "japanwest": ("Japan West, Osaka", "JPN"),
    "koreacentral": ("Korea Central, Seoul", "KOR"),
    "koreasouth": ("Korea South, Busan", "KOR"),
    "australiaeast": ("Australia East, New South Wales", "AUS"),
    "australiasoutheast": ("Australia Southeast, Victoria", "AUS"),
    "centralindia": ("Central India, Pune", "IND"),
    "southindia": ("South India, Chennai", "IND"),
    "southafricanorth": ("South Africa North, Johannesburg", "ZAF"),
    "uaenorth": ("UAE North, Dubai", "ARE"),
    "qatarcentral": ("Qatar Central, Doha", "QAT"),
}

#: codecarbon's factors for Canadian provincial mixes, in kg/kWh, as in
#: codecarbon/core/emissions.py, ``Emissions._region_energy_mix_to_emissions_rate`` (codecarbon
#: 3.3.2), which cites github.com/responsibleproblemsolving/energy-usage#conversion-to-co2.
#: Every other source in the mix (hydro, nuclear, wind, solar, biomass, tidal, other) counts 0.
CANADA_FOSSIL_KG_PER_KWH = {
    "coal": 0.995725971,
    "petroleum": 0.8166885263,
    "naturalGas": 0.7438415916,
}

#: Columns of global_energy_mix.json → keys of carbon_intensity_per_source.json, for the one
#: case where a country's ``carbon_intensity`` is 0 and is rebuilt from its generation mix.
#: ``fossil_TWh``, ``low_carbon_TWh`` and ``renewables_TWh`` are sums of these and left out.
MIX_FACTOR_KEYS = {
    "coal_TWh": "coal", "gas_TWh": "natural_gas", "oil_TWh": "petroleum",
    "hydroelectricity_TWh": "hydroelectricity", "nuclear_TWh": "nuclear", "solar_TWh": "solar",
    "wind_TWh": "wind", "biofuel_TWh": "biofuel",
}

#: ISO 3166-1 alpha-2 of the countries split into subregions here, for the ``US California``
#: style alias.
SUBREGION_PARENTS = {"USA": "US", "CAN": "CA", "CHN": "CN"}
